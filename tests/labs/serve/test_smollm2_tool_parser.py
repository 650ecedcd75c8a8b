"""The CPU profile's tool parser plugin (``labs/serve/smollm2_tool_parser.py``, Module 3) on crafted
replies, whole and streamed, and its grammar compiled by xgrammar for ACME's tools."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from support import ROOT, load_lab


@pytest.fixture(scope="module")
def plugin():
    return load_lab("labs/serve/smollm2_tool_parser.py")


def whole(plugin, text: str):
    return plugin.SmolLM2ToolParser(tokenizer=None).extract_tool_calls(text, request=None)


def streamed(plugin, text: str, step: int) -> tuple[str, list[tuple[str, str]]]:
    """Feed ``text`` to a fresh parser ``step`` characters at a time: (content, calls)."""
    parser, current, content, calls = plugin.SmolLM2ToolParser(tokenizer=None), "", "", {}
    for end in range(step, len(text) + step, step):
        previous, current = current, text[:end]
        delta = parser.extract_tool_calls_streaming(previous, current, current[len(previous):],
                                                    [], [], [], request=None)
        if delta is None:
            continue
        content += delta.content or ""
        for piece in delta.tool_calls:
            entry = calls.setdefault(piece.index, ["", ""])
            entry[0] += piece.function.name or ""
            entry[1] += piece.function.arguments or ""
    return content, [tuple(v) for _, v in sorted(calls.items())]


TWO_BLOCKS = ('Checking both. <tool_call>[{"name": "get_order_status", "arguments": {"order_id": '
              '"ACME-1042"}}, {"name": "get_customer", "arguments": {"email": "jane@example.com"}}]'
              '</tool_call><tool_call>[{"name": "search_faq", "arguments": {"query": "refund", '
              '"max_results": 2}}]</tool_call>')


def test_parser_reads_several_calls_and_keeps_the_text(plugin):
    info = whole(plugin, TWO_BLOCKS)
    assert info.tools_called and info.content == "Checking both."
    assert [(c.function.name, json.loads(c.function.arguments)) for c in info.tool_calls] == [
        ("get_order_status", {"order_id": "ACME-1042"}),
        ("get_customer", {"email": "jane@example.com"}),
        ("search_faq", {"query": "refund", "max_results": 2})]
    assert len({c.id for c in info.tool_calls}) == 3, "each call has its own id"


@pytest.mark.parametrize("text", [
    "No tools needed, the shop opens at nine.",
    '<tool_call>[{"name": "get_order_status", "arguments": {"order_id": "ACME-10',  # cut
    "<tool_call>not json</tool_call> and text",
    '<tool_call>[{"arguments": {}}]</tool_call>',  # no name
])
def test_parser_invents_nothing(plugin, text):
    """Text without a complete, well-formed call stays text."""
    info = whole(plugin, text)
    assert not info.tools_called and info.tool_calls == []
    assert info.content == text.strip()


@pytest.mark.parametrize("step", [1, 3, 7, 50])
def test_a_stream_gives_the_same_calls_at_any_chunk_size(plugin, step):
    content, calls = streamed(plugin, TWO_BLOCKS, step)
    assert content.strip() == "Checking both."
    assert calls == [(c.function.name, c.function.arguments) for c in whole(plugin, TWO_BLOCKS).tool_calls]


def test_a_stream_holds_back_a_tag_that_may_be_starting(plugin):
    """Content never shows a piece of ``<tool_call>``."""
    parser = plugin.SmolLM2ToolParser(tokenizer=None)
    delta = parser.extract_tool_calls_streaming("", "Hello <tool_", "Hello <tool_", [], [], [], None)
    assert delta.content == "Hello "
    assert parser.extract_tool_calls_streaming("Hello <tool_", "Hello <tool_call>[",
                                               "call>[", [], [], [], None) is None


def test_the_grammar_compiles_for_acme_tools(plugin):
    """The plugin's structural tag, built by vLLM for ACME's tools and each tool_choice, compiles
    with xgrammar and the served model's tokenizer, as the server will compile it."""
    import xgrammar as xgr
    from transformers import AutoTokenizer
    from vllm.entrypoints.openai.chat_completion.protocol import ChatCompletionToolsParam
    from vllm.tool_parsers.structural_tag_registry import get_model_structural_tag

    from acme.tools import openai_tools

    tokenizer = AutoTokenizer.from_pretrained(ROOT / ".workshop/models/SmolLM2-135M-Instruct")
    compiler = xgr.GrammarCompiler(xgr.TokenizerInfo.from_huggingface(tokenizer))
    tools = [ChatCompletionToolsParam(**t) for t in openai_tools()]
    named = {"type": "function", "function": {"name": "create_ticket"}}
    from vllm.entrypoints.openai.chat_completion.protocol import ChatCompletionNamedToolChoiceParam
    for choice in ("auto", "required", ChatCompletionNamedToolChoiceParam(**named)):
        tag = get_model_structural_tag("smollm2", tools, choice, reasoning=False)
        compiler.compile_structural_tag(json.dumps(tag.model_dump()))


def test_the_demo_says_what_it_waits_for():
    """Run as a program, the file first imports vLLM's plugin API: 80 s on the busy 2-core machine
    with nothing on the screen but vLLM's Triton line. The first line now says what it waits for,
    a line follows every second here (WORKSHOP_PROGRESS_EVERY=1), then the demo runs."""
    p = subprocess.run([sys.executable, "labs/serve/smollm2_tool_parser.py"], cwd=ROOT,
                       capture_output=True, text=True, timeout=300,
                       env={**os.environ, "WORKSHOP_PROGRESS_EVERY": "1"})
    assert p.returncode == 0, p.stdout + p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == "importing vLLM's tool parser API ...", lines[:3]
    assert any(line.startswith("  still importing: ") for line in lines), lines
    assert lines[-1] == "stream gives the same calls: True", lines[-3:]


def test_an_unknown_option_names_no_setting_it_does_not_read():
    """The demo reads no environment variable, yet its --foo fix said 'its settings are
    environment variables, such as VLLM_BASE_URL' (issue 21, misleading fixes)."""
    import subprocess
    import sys

    from support import ROOT

    p = subprocess.run([sys.executable, "labs/serve/smollm2_tool_parser.py", "--foo"], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and p.stderr.count("error:") == 1 and "\n  fix: " in p.stderr, p.stderr
    assert "VLLM_BASE_URL" not in p.stderr and "environment variables" not in p.stderr, p.stderr
