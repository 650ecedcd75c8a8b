"""API guide lab: embeddings (``POST /v1/embeddings``) and a semantic search over ACME's FAQ.

Run (the embeddings server of the API guide must be running)::

    python labs/api/faq_search.py                       # the similarity demo and three questions
    python labs/api/faq_search.py "Can I get my money back?"   # your own questions

Reads ``EMBED_BASE_URL`` (the embeddings server's ``/v1`` root; no default: it is not the chat
server) and ``VLLM_API_KEY``. The model is the one that server serves (all-MiniLM-L6-v2 in the
guide, 384-dimension vectors).

Prints:

1. the vector size and the cosine similarity of "Where is my order?" with two sentences;
2. for each question, the FAQ pages (``labs/acme/faq/*.md``, the same ones ``search_faq`` in
   Modules 3 and 4 reads) ranked by cosine similarity, best first: ``score  file  title``.

Cosine similarity = dot product of the two vectors divided by the product of their lengths:
1 means the same direction, 0 unrelated. Exit status 1 with ``error: ... fix: ...`` when
``EMBED_BASE_URL`` is not set, nothing answers there, or the server there serves a model
without an embeddings API (the chat server, for example).
"""
import math
import os
import openai

import workshop
from acme import faq_documents

START = ("start it as the API guide shows: VLLM_PORT=$EMBED_PORT python scripts/server.py start "
         "--name embeddings -- vllm serve ... --port $EMBED_PORT")
MAX_TOKENS = 256  # all-MiniLM-L6-v2's longest input: vLLM refuses a 257th token with HTTP 400
QUESTIONS = ["Where is my order?", "I forgot my password", "The kettle broke after a month"]


def embedding_client() -> tuple[openai.OpenAI, str]:
    """The client for ``$EMBED_BASE_URL`` and the model it serves; WorkshopError otherwise."""
    url = os.environ.get("EMBED_BASE_URL", "").rstrip("/")
    if not url:
        raise workshop.WorkshopError("EMBED_BASE_URL is not set.\n  fix: export EMBED_BASE_URL="
                                     "http://127.0.0.1:$EMBED_PORT/v1 (the embeddings server; "
                                     f"{START})")
    client = openai.OpenAI(base_url=url, api_key=workshop.api_key(), max_retries=0, timeout=60)
    try:
        return client, client.models.list().data[0].id
    except openai.APIConnectionError as exc:
        raise workshop.WorkshopError(f"no embeddings server answers at {url}.\n  fix: {START}") from exc
    except openai.NotFoundError as exc:
        raise workshop.WorkshopError(f"{url}/models answered HTTP 404.\n  fix: EMBED_BASE_URL "
                                     "ends in /v1") from exc


def cosine(a: list[float], b: list[float]) -> float:
    """Cosine similarity of two vectors of the same length, in [-1, 1]."""
    dot = sum(x * y for x, y in zip(a, b))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


def embed(client: openai.OpenAI, model: str, texts: list[str]) -> list[list[float]]:
    """One vector per text, in order (one request for all of them)."""
    try:
        response = client.embeddings.create(model=model, input=texts)
    except openai.NotFoundError as exc:  # no /v1/embeddings here: the chat server, for example
        raise workshop.WorkshopError(
            f"the server at {client.base_url} refused an embeddings request (HTTP 404: {exc.message}): "
            "it has no embeddings API."
            "\n  fix: point EMBED_BASE_URL at the embeddings server, not the chat server") from exc
    except openai.BadRequestError as exc:
        body = exc.body if isinstance(exc.body, dict) else {}
        message = body.get("message") or exc.message
        if "maximum context length" in message:  # the text is longer than the encoder reads
            raise workshop.WorkshopError(
                f"a question is too long for {model}: {message}\n  fix: shorten the question "
                f"(all-MiniLM-L6-v2 reads at most {MAX_TOKENS} tokens; the message counts them)") from exc
        raise workshop.WorkshopError(f"the embeddings server refused the request: {message}"
                                     "\n  fix: read the server's message; the API guide, section "
                                     "4, shows the request") from exc
    return [item.embedding for item in response.data]


def questions(argv: list[str] | None = None) -> list[str]:
    """The questions on the command line (default :data:`QUESTIONS`); an empty one, or an option
    the lab does not take, ends it with error/fix."""
    parser = workshop.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("question", nargs="*", help="questions to look up (default: three examples)")
    asked = parser.parse_args(argv).question
    for text in asked:
        if not text.strip():
            parser.exit(2, 'error: a question is empty\n  fix: put each question in quotes: '
                           'python labs/api/faq_search.py "Can I get my money back?"\n')
    return asked or QUESTIONS


def main() -> None:
    asked_questions = questions()
    client, model = embedding_client()
    # --8<-- [start:similarity]
    question, close, far = embed(client, model, [
        "Where is my order?", "My package has not arrived yet", "How do I reset my password?"])
    print(f"model: {model}, {len(question)} dimensions")
    print(f"'Where is my order?' vs 'My package has not arrived yet': {cosine(question, close):.2f}")
    print(f"'Where is my order?' vs 'How do I reset my password?':    {cosine(question, far):.2f}")
    # --8<-- [end:similarity]
    # --8<-- [start:search]
    docs = faq_documents()  # [{"name": "refunds.md", "title": ..., "text": ...}, ...]
    doc_vectors = embed(client, model, [d["title"] + "\n" + d["text"] for d in docs])
    for asked in asked_questions:
        [q] = embed(client, model, [asked])
        ranked = sorted(zip(docs, doc_vectors), key=lambda dv: cosine(q, dv[1]), reverse=True)
        print(f"\n{asked}")
        for doc, vector in ranked[:2]:
            print(f"  {cosine(q, vector):.2f}  {doc['name']:<18} {doc['title']}")
    # --8<-- [end:search]


if __name__ == "__main__":
    workshop.run(main)
