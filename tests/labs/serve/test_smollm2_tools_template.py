"""The CPU profile's chat template (``labs/serve/smollm2_tools.jinja``) after a tool result: the
model answers the question instead of echoing the tool message.

With the tool result wrapped in ``<tool_response>`` tags (the template until December 2026),
SmolLM2-135M copied the tag and the JSON back as its "answer" in Module 3's round trip, Module 4's
agent and the app's CLI. Measured on these five conversations (the tools' real results, rendered
with each template, 1 run at temperature 0 and 3 at 0.7 each; an echo is an answer that starts
with the tag or repeats 40 characters of the JSON): with the tags 14 of 20 answers echoed, 5 of
5 at temperature 0; without them 4 of 20, none at temperature 0 starting with the tag or JSON.

The test renders the template file itself, with the model's tokenizer as vLLM's server does,
and sends the prompt to ``/v1/completions``: it checks the file in the repository, whichever
template the running server loaded when it started.
"""
from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from support import ROOT

TEMPLATE = ROOT / "labs" / "serve" / "smollm2_tools.jinja"
MODEL_DIR = ROOT / ".workshop" / "models" / "SmolLM2-135M-Instruct"
SYSTEM = ("You are ACME Corp's support assistant. Use the tools to look things up; never "
          "invent order details. Answer in at most two sentences.")
#: (question, tool, arguments): the calls Module 3's and Module 4's labs make.
CASES = [
    ("Where is my order ACME-1042?", "get_order_status", {"order_id": "ACME-1042"}),
    ("Where is my order ACME-1046?", "get_order_status", {"order_id": "ACME-1046"}),
    ("I am jane@example.com. Which tier am I?", "get_customer", {"email": "jane@example.com"}),
    ("How do I return an item?", "search_faq", {"query": "return an item", "max_results": 1}),
    ("I am jane@example.com. The rake from order ACME-1042 arrived with a broken handle. Please "
     "open a ticket for a human to follow up.", "create_ticket",
     {"customer_email": "jane@example.com", "category": "product", "priority": "medium",
      "summary": "The rake arrived with a broken handle.", "order_id": "ACME-1042"}),
]


@pytest.fixture(scope="module")
def tokenizer():
    if not (MODEL_DIR / "tokenizer.json").is_file():
        pytest.skip(f"no model at {MODEL_DIR}: ./scripts/start prepares it")
    from transformers import AutoTokenizer
    return AutoTokenizer.from_pretrained(MODEL_DIR)


@pytest.fixture(scope="module")
def prompts(tokenizer, tmp_path_factory) -> list[tuple[str, str]]:
    """``(prompt, tool message content)`` for each case: the question, the model's call, and the
    tool's real result from a fresh ACME database, rendered with the template file (once per
    module: both tests read the same prompts)."""
    db = tmp_path_factory.mktemp("acme") / "acme.db"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ACME_DB", str(db))
        from acme.db import create
        from acme.tools import call, openai_tools
        create(db)
        rendered = []
        for question, name, arguments in CASES:
            content = json.dumps(call(name, json.dumps(arguments)))
            messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": question},
                        {"role": "assistant", "content": None, "tool_calls": [
                            {"id": "c1", "type": "function",
                             "function": {"name": name, "arguments": json.dumps(arguments)}}]},
                        {"role": "tool", "tool_call_id": "c1", "content": content}]
            rendered.append((tokenizer.apply_chat_template(
                messages, tools=openai_tools(), chat_template=TEMPLATE.read_text(),
                add_generation_prompt=True, tokenize=False), content))
    return rendered


def complete(base_url: str, prompt: str) -> str:
    """The server's answer to ``prompt`` (``/v1/completions``, temperature 0, at most 64 tokens)."""
    r = httpx.post(f"{base_url}/completions", timeout=300,
                   headers={"Authorization": f"Bearer {os.environ.get('VLLM_API_KEY', 'EMPTY')}"},
                   json={"model": "SmolLM2-135M-Instruct", "prompt": prompt, "temperature": 0,
                         "max_tokens": 64})
    r.raise_for_status()
    return r.json()["choices"][0]["text"].strip()


def test_after_a_tool_result_the_model_answers_instead_of_echoing_it(vllm_server, prompts):
    """Temperature 0, as the labs ask: no answer starts with the tool message's tag or its JSON.
    The five requests go at once: the server batches them (continuous batching), as it batches the
    other pages' requests in a suite run."""
    with ThreadPoolExecutor(max_workers=len(prompts)) as pool:
        answers = list(pool.map(lambda case: complete(vllm_server.base_url, case[0]), prompts))
    echoes = [answer[:120] for answer, (_, content) in zip(answers, prompts)
              if answer.startswith(("<tool_response>", "{", "[")) or content[:40] in answer]
    assert echoes == [], f"{len(echoes)} of {len(CASES)} answers echo the tool result: {echoes}"


def test_the_template_still_renders_tools_calls_and_results(prompts):
    """The tool list, the model's call and the result are all in the prompt the model reads."""
    prompt, content = prompts[0]
    assert "<tools>" in prompt and '<tool_call>[{"name": "get_order_status"' in prompt
    assert content in prompt and prompt.endswith("<|im_start|>assistant\n")
