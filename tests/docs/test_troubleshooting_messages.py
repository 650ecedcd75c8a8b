"""The error messages the troubleshooting tables quote are the ones the server sends.

Every ``HTTP 4xx `message``` in a troubleshooting table (English pages; the Chinese twins quote
the same messages, checked by ``test_both_languages_quote_the_same_messages``) is listed in
:data:`CLAIMS` with how it is produced: a request sent here to the workshop server (its answer
must contain the quote; ``...`` in a quote stands for a name or number), or, for a server this
test cannot start (one without tool calling), the literal pieces in vLLM's own source; a lab's
or the app's own message, the pieces in its source. A quote
that is in no table entry of :data:`CLAIMS` fails, so a new row needs its check.
"""
from __future__ import annotations

import re
from pathlib import Path

import openai
import pytest

import pages
import workshop

TOOL = {"type": "function", "function": {"name": "get_order_status", "parameters": {
    "type": "object", "properties": {"order_id": {"type": "string"}}}}}
VLLM = Path(openai.__file__).parents[1] / "vllm"
ROOT = Path(__file__).resolve().parents[2]

#: quote -> ("request", chat request fields) | ("source", file in vLLM, literal pieces) |
#: ("lab", file of the workshop that writes it, literal pieces) | None (a quote that is wrong).
CLAIMS = {
    "Tool '...' has not been passed in tools": None,  # what Module 3 quoted before vLLM 0.32
    "The tool specified in `tool_choice` does not match any of the specified `tools`":
        ("request", {"tools": [TOOL], "tool_choice": {"type": "function", "function": {"name": "nope"}}}),
    '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set':
        ("source", "renderers/online_renderer.py",
         ['\'"auto" tool choice requires \'', '"--enable-auto-tool-choice and --tool-call-parser to be set"']),
    'tool_choice="required" requires --tool-call-parser to be set':
        ("source", "renderers/online_renderer.py",
         ['tool_choice_desc = f\'"{request.tool_choice}"\'', 'f"tool_choice={tool_choice_desc} requires "',
          '"--tool-call-parser to be set"']),
    "Grammar error": ("request", {"extra_body": {"structured_outputs": {"regex": "(["}}}),
    "Invalid grammar specification":
        ("source", "v1/structured_output/backend_xgrammar.py", ['"Invalid grammar specification."']),
    "You can only use one kind of constraints for structured outputs":
        ("request", {"extra_body": {"structured_outputs": {"regex": "a", "choice": ["a"]}}}),
    "... of structured outputs constraint":
        ("source", "sampling_params.py", ['"You can only use one kind of structured outputs constraint "']),
    "The model ... does not exist": ("request", {"model": "no-such-model"}),
    "error: the server at ... refused an embeddings request (HTTP 404 ...)":
        ("lab", "labs/api/faq_search.py", ['f"the server at {client.base_url} refused an embeddings request (HTTP 404: ']),
    "invalid request: ...": ("lab", "labs/app/app.py", ['"error": f"invalid request: ']),
    "vLLM answered HTTP 400: ... maximum context length":
        ("lab", "labs/app/app.py", ['f"vLLM answered HTTP 400: ', '"maximum context length" in']),
    "... maximum context length": ("request", {"messages": [{"role": "user", "content": "word " * 9000}]}),
}
HTTP_4XX = re.compile(r"HTTP 4\d\d")


def quotes(lang: str) -> list[tuple[str, str]]:
    """``(page, quote)`` for each backticked message of an HTTP 4xx in the first cell of a
    table row (the symptom): a quote after ``HTTP 4xx`` in that cell, or one that contains it."""
    found = []
    for page in sorted(pages.DOCS.joinpath(lang).glob("*.md")):
        for line in page.read_text(encoding="utf-8").splitlines():
            if not line.startswith("| ") or not HTTP_4XX.search(cell := line.split("|")[1]):
                continue
            for m in re.finditer(r"``\s?(.+?)\s?``|`([^`]+)`", cell):  # ``a `b` c`` quotes backticks
                quote = m[1] or m[2]
                if HTTP_4XX.search(cell[:m.start()]) or HTTP_4XX.search(quote):
                    found.append((page.name, quote))
    return found


def holds(quote: str, answer: str) -> bool:
    """Each piece of ``quote`` between ``...`` is in ``answer``, in order."""
    at = 0
    for piece in (p.strip() for p in quote.split("...")):
        if piece:
            at = answer.find(piece, at)
            if at < 0:
                return False
            at += len(piece)
    return True


@pytest.fixture(scope="module")
def answers(vllm_server) -> dict[str, str]:  # noqa: ARG001 - the server must be up
    """The server's message for each claim made by a request."""
    c = workshop.client()
    model = workshop.model(c)
    found = {}
    for quote, claim in CLAIMS.items():
        if claim and claim[0] == "request":
            kwargs = {"model": model, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 5,
                      **claim[1]}
            try:
                c.chat.completions.create(**kwargs)
                found[quote] = "(HTTP 200: the server accepted it)"
            except openai.APIStatusError as exc:
                body = exc.body if isinstance(exc.body, dict) else {}
                found[quote] = str(body.get("message") or exc.message)
    return found


@pytest.mark.parametrize(("page", "quote"), quotes("en"), ids=lambda v: str(v)[:60])
def test_a_quoted_message_is_what_the_server_sends(page, quote, answers):
    assert quote in CLAIMS, f"{page} quotes {quote!r}: add how it is produced to CLAIMS"
    claim = CLAIMS[quote]
    assert claim is not None, f"{page} quotes {quote!r}, which vLLM 0.32 does not send"
    if claim[0] == "request":
        assert holds(quote, answers[quote]), f"{page}: {quote!r}; the server said {answers[quote]!r}"
    else:
        where = VLLM / claim[1] if claim[0] == "source" else ROOT / claim[1]  # a lab's own message
        text = where.read_text(encoding="utf-8")
        missing = [piece for piece in claim[2] if piece not in text]
        assert not missing, f"{page}: {quote!r}: {where} no longer has {missing}"


def test_both_languages_quote_the_same_messages():
    assert sorted(q for _, q in quotes("zh")) == sorted(q for _, q in quotes("en"))
