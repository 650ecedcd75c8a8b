"""Module 4 lab: an agent that uses MCP servers through vLLM, and asks a person before it acts.

Run: ``python labs/module4/agent.py [options] "question"``

It starts the MCP servers named in ``labs/module4/servers.json`` (``--servers acme,time`` picks
some), lists their tools with the official MCP SDK (``ClientSessionGroup``), names each tool
``<server>__<tool>`` so that tools of different servers cannot clash, and offers them to the
model served by vLLM as OpenAI tools with ``"strict": true``. For every call the model proposes:

1. the **policy** decides first (``servers.json``, ``"policy"``): a tool the server marks
   read-only runs without asking (``"read_only": "auto"``), any other asks a person
   (``"default": "ask"``), and a tool may be set to ``"auto"``, ``"ask"`` or ``"deny"`` by name;
2. **a person** answers the calls that ask: in a terminal, *approve*, *deny* or *edit* the
   arguments (checked against the tool's schema); without a terminal, the next matching
   entry of ``--decisions FILE`` answers, and a call with no entry is **denied**: nothing is ever
   approved silently;
3. an approved call runs on its MCP server; a denied one runs nowhere, and the model gets a tool
   message saying a person denied it. A server that asks for confirmation itself (MCP
   *elicitation*, as ACME's refund does) is answered through the same prompt or file.

Every proposal, decision, elicitation, result and error is appended to the JSONL audit log
(``--audit``, default ``.workshop/audit/agent.jsonl``), one JSON object per line with ``time``
(UTC) and ``event``.

Options: ``--tool NAME`` forces the first call to that tool (a named ``tool_choice``),
``--require-tool`` forces some call (``"required"``); ``--max-steps`` (default 3) bounds the
rounds; ``--timeout`` (seconds, default 30) bounds a server's start and each tool call;
``--list`` prints the servers' tools and exits. Exit status: 0 when the model answered, 1 for a
failure (one ``error: ... fix: ...`` line), 2 for a bad command line, config or decisions file.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import datetime as dt
import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema
import mcp_types as types
from mcp import StdioServerParameters
from mcp.client.stdio import get_default_environment
from mcp.client.session_group import (
    ClientSessionGroup,
    ClientSessionParameters,
    StreamableHttpParameters,
)
from rich.console import Console
from rich.text import Text
from rich.panel import Panel
from rich.prompt import Prompt

import workshop

CONFIG = Path("labs/module4/servers.json")
AUDIT = Path(".workshop/audit/agent.jsonl")
SEP = "__"  # <server>__<tool>: OpenAI tool names allow letters, digits, _ and -
# The SDK's session group logs a warning for a server without prompts or resources (the time and
# filesystem servers): expected here, so only errors are shown.
logging.basicConfig(level=logging.ERROR)
console = Console(width=100, highlight=False, markup=False, soft_wrap=True)  # text shown as is


class UsageError(Exception):
    """A bad config or decisions file, or a server name it does not have: exit status 2. ``fix``
    is what to do (default: correct the file)."""

    def __init__(self, message: str, fix: str = "correct the file, or see the docstring of "
                 "labs/module4/agent.py"):
        super().__init__(message)
        self.fix = fix


# ------------------------------------------------------------------ configuration


def load_json(path: Path, what: str) -> object:
    """``path`` parsed as JSON; :class:`UsageError` naming ``what`` when it is missing or broken."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read the {what} {path}: {exc.strerror}") from exc
    except ValueError as exc:
        raise UsageError(f"the {what} {path} is not valid JSON: {exc}") from exc


#: Variables a stdio server gets besides the SDK's safe defaults (PATH, HOME, ...): the MCP SDK
#: does not pass the whole environment on, so that no secret leaks to a third-party server.
PASSED_ON = ("ACME_DB",)


def server_parameters(entry: dict) -> StdioServerParameters | StreamableHttpParameters:
    """How to reach one server of ``servers.json``: ``{"command", "args", "env"}`` (stdio;
    ``python`` means this Python) or ``{"url"}`` (streamable HTTP, ending in ``/mcp``)."""
    if "url" in entry:
        return StreamableHttpParameters(url=entry["url"])
    command = sys.executable if entry["command"] == "python" else entry["command"]
    env = {**get_default_environment(), **{k: os.environ[k] for k in PASSED_ON if k in os.environ},
           **entry.get("env", {})}
    return StdioServerParameters(command=command, args=list(entry.get("args", [])), env=env)


# ------------------------------------------------------------------ the audit log


@dataclass
class AuditLog:
    """Appends one JSON object per event to ``path`` (JSON Lines), flushed at once."""

    path: Path
    count: int = 0

    def write(self, event: str, **fields) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        record = {"time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                  "event": event, **fields}
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.count += 1


# ------------------------------------------------------------------ decisions


@dataclass
class Decisions:
    """Answers given in advance, in order: ``[{"tool": NAME, "action": "approve" | "deny" |
    "edit", "arguments": {...}}, {"elicitation": "accept" | "decline", "content": {...}}]``."""

    entries: list[dict] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> Decisions:
        """Read and check a decisions file; :class:`UsageError` says what is wrong in it."""
        entries = load_json(path, "decisions file")
        if not isinstance(entries, list):
            raise UsageError(f"the decisions file {path} must hold a JSON list, not a "
                             f"{type(entries).__name__}")
        for i, entry in enumerate(entries):
            ok = isinstance(entry, dict) and (
                (entry.get("action") in ("approve", "deny", "edit") and isinstance(entry.get("tool"), str)
                 and (entry["action"] != "edit" or isinstance(entry.get("arguments"), dict)))
                or entry.get("elicitation") in ("accept", "decline"))
            if not ok:
                raise UsageError(f"entry {i} of {path} is not a decision: {json.dumps(entry)[:120]} "
                                 '(expected {"tool": ..., "action": "approve"|"deny"|"edit"} or '
                                 '{"elicitation": "accept"|"decline"})')
        return cls(list(entries))

    def take(self, key: str, value: str) -> dict | None:
        """Remove and return the first entry whose ``key`` is ``value`` (``None`` when none)."""
        for i, entry in enumerate(self.entries):
            if key == "elicitation" and "elicitation" in entry or entry.get(key) == value:
                return self.entries.pop(i)
        return None


@dataclass
class Approver:
    """Decides each proposed call: the policy first, then a person or the decisions file."""

    policy: dict
    decisions: Decisions | None
    audit: AuditLog
    interactive: bool

    def rule(self, name: str, tool: types.Tool) -> str:
        """``"auto"``, ``"ask"`` or ``"deny"`` for a tool, from the policy."""
        if name in self.policy.get("tools", {}):
            return self.policy["tools"][name]
        read_only = bool(tool.annotations and tool.annotations.read_only_hint)
        return self.policy.get("read_only", "auto") if read_only else self.policy.get("default", "ask")

    # --8<-- [start:decide]
    def decide(self, name: str, tool: types.Tool, arguments: dict) -> tuple[str, dict, str]:
        """``(action, arguments, by)``: ``action`` is "approve" or "deny"; ``by`` says who."""
        rule = self.rule(name, tool)
        if rule in ("auto", "deny"):
            return ("approve" if rule == "auto" else "deny"), arguments, f"policy: {rule}"
        console.print(Panel(Text(json.dumps(arguments, indent=2, ensure_ascii=False)),
                            title=f"{name} wants to run", subtitle="approve / deny / edit"))
        if self.interactive:
            return self.ask_person(name, tool, arguments)
        entry = self.decisions.take("tool", name) if self.decisions else None
        if entry is None:
            return "deny", arguments, "no decision given: denied"
        if entry["action"] == "edit":
            errors = schema_errors(tool, entry["arguments"])
            if errors:
                return "deny", arguments, f"decisions file: edited arguments break the schema: {errors}"
            return "approve", entry["arguments"], "decisions file: edited"
        return entry["action"], arguments, "decisions file"
    # --8<-- [end:decide]

    def ask_person(self, name: str, tool: types.Tool, arguments: dict) -> tuple[str, dict, str]:
        """Ask in the terminal until the answer is approve, deny, or valid edited arguments."""
        while True:
            answer = Prompt.ask(Text(f"{name}: [a]pprove, [d]eny or [e]dit?"), choices=["a", "d", "e"],
                                console=console)
            if answer in ("a", "d"):
                return ("approve" if answer == "a" else "deny"), arguments, "person"
            text = Prompt.ask(Text("new arguments (JSON)"), default=json.dumps(arguments),
                              show_default=False, console=console)
            try:
                edited = json.loads(text)
            except ValueError as exc:
                console.print(f"not JSON: {exc}")
                continue
            errors = schema_errors(tool, edited)
            if not errors:
                return "approve", edited, "person: edited"
            console.print(f"these arguments break the schema: {errors}")

    def elicitation_callback(self, server: str):
        """The MCP elicitation callback for ``server``: the same person, or the decisions file."""
        async def callback(context, params: types.ElicitRequestParams):  # noqa: ARG001 - SDK API
            message = params.message
            console.print(Panel(Text(message), title=f"{server} asks", subtitle="accept / decline"))
            if self.interactive:
                confirmed = Prompt.ask(Text("confirm?"), choices=["y", "n"], console=console) == "y"
                result = types.ElicitResult(action="accept" if confirmed else "decline",
                                            content={"confirm": confirmed})
                by = "person"
            else:
                entry = self.decisions.take("elicitation", "") if self.decisions else None
                if entry is None:
                    result, by = types.ElicitResult(action="decline"), "no decision given: declined"
                else:
                    result = types.ElicitResult(action=entry["elicitation"],
                                                content=entry.get("content", {"confirm": True}))
                    by = "decisions file"
            console.print(f"confirm:  {result.action} ({by})")
            self.audit.write("elicitation", server=server, message=message, action=result.action, by=by)
            return result
        return callback


def schema_errors(tool: types.Tool, arguments: object) -> list[str]:
    """How ``arguments`` break the tool's input schema (``[]`` when they fit)."""
    validator = jsonschema.Draft202012Validator(tool.input_schema)
    return [f"{'/'.join(map(str, e.path)) or '(arguments)'}: {e.message}"
            for e in validator.iter_errors(arguments)]


# ------------------------------------------------------------------ the loop


def openai_tool(name: str, tool: types.Tool) -> dict:
    """An MCP tool as an OpenAI tool definition, ``"strict": true``."""
    return {"type": "function", "function": {
        "name": name, "description": tool.description or "", "parameters": tool.input_schema,
        "strict": True}}


def result_text(result: types.CallToolResult) -> str:
    """A tool result as the text the model reads: JSON made compact, other text as it is."""
    if result.structured_content is not None:
        return json.dumps(result.structured_content, ensure_ascii=False)
    text = "\n".join(c.text for c in result.content if isinstance(c, types.TextContent))
    try:
        return json.dumps(json.loads(text), ensure_ascii=False)
    except ValueError:
        return text


# --8<-- [start:run_call]
async def run_call(group: ClientSessionGroup, approver: Approver, call, timeout: float) -> dict:
    """Decide one proposed call, run it if approved; the ``tool`` message for the model."""
    name, audit = call.function.name, approver.audit
    try:
        arguments = json.loads(call.function.arguments)
    except ValueError:
        arguments = None
    audit.write("proposal", tool=name, arguments=arguments if arguments is not None
                else call.function.arguments)
    console.print(f"proposal: {name} {json.dumps(arguments, ensure_ascii=False)}")
    if name not in group.tools or not isinstance(arguments, dict):
        why = (f"unknown tool {name!r}" if name not in group.tools
               else "the arguments are not a JSON object")
        audit.write("error", tool=name, error=why)
        console.print(f"error:    {why}")
        return {"role": "tool", "tool_call_id": call.id, "content": json.dumps({"error": why})}
    action, arguments, by = approver.decide(name, group.tools[name], arguments)
    audit.write("decision", tool=name, action=action, by=by, arguments=arguments)
    console.print(f"decision: {action} ({by})")
    if action != "approve":
        content = {"error": f"this call was not approved ({by}); do not retry it, tell the customer"}
        return {"role": "tool", "tool_call_id": call.id, "content": json.dumps(content)}
    try:
        result = await group.call_tool(name, arguments, read_timeout_seconds=timeout)
        text, failed = result_text(result), result.is_error
    except Exception as exc:  # noqa: BLE001 - a timeout, a crashed server: the model is told
        text, failed = f"the call failed: {type(exc).__name__}: {exc}", True
    audit.write("result", tool=name, is_error=failed, content=text[:2000])
    console.print(f"{'error:   ' if failed else 'result:  '} {text[:160]}")
    return {"role": "tool", "tool_call_id": call.id,
            "content": json.dumps({"error": text}) if failed else text}
# --8<-- [end:run_call]


async def connect(group: ClientSessionGroup, names: list[str], config: dict, approver: Approver,
                  current: dict, timeout: float) -> None:
    """Start and connect each named server; :class:`workshop.WorkshopError` when one fails."""
    for name in names:
        entry = config["servers"][name]
        if "command" in entry and entry["command"] != "python" and not shutil.which(entry["command"]):
            raise workshop.WorkshopError(
                f"the MCP server {name!r} needs the command {entry['command']!r}, which is not "
                "installed\n  fix: install Node.js 20 with npm (for npx), or leave the server out: "
                "--servers " + ",".join(n for n in names if n != name))
        current["server"] = name
        try:  # read_timeout_seconds bounds every request, initialize included
            await group.connect_to_server(server_parameters(entry), ClientSessionParameters(
                read_timeout_seconds=timeout,
                elicitation_callback=approver.elicitation_callback(name)))
        except Exception as exc:  # noqa: BLE001 - every start failure gets the same advice
            detail = "timed out" if isinstance(exc, TimeoutError) else f"{type(exc).__name__}: {exc}"
            raise workshop.WorkshopError(
                f"the MCP server {name!r} did not start ({detail}).\n  fix: run its command by "
                f"hand to see its error: {' '.join([entry.get('command', ''), *entry.get('args', [])]) or entry.get('url')}"
            ) from exc


async def main_async(args: argparse.Namespace) -> int:
    config = load_json(args.config, "server configuration")
    if not isinstance(config, dict) or not isinstance(config.get("servers"), dict):
        raise UsageError(f"{args.config} must hold {{\"servers\": {{...}}, \"policy\": {{...}}}}")
    names = args.servers.split(",") if args.servers else list(config["servers"])
    unknown = [n for n in names if n not in config["servers"]]
    if unknown:
        raise UsageError(f"no server named {', '.join(unknown)} in {args.config}; it has "
                         f"{', '.join(config['servers'])}",
                         f"name servers it has: --servers {','.join(config['servers'])} (or leave "
                         "--servers out for all of them)")
    audit = AuditLog(args.audit)
    decisions = Decisions.load(args.decisions) if args.decisions else None
    approver = Approver(config.get("policy", {}), decisions, audit,
                        interactive=decisions is None and sys.stdin.isatty())
    if not args.list:  # the model server first: no use starting MCP servers without it
        client = workshop.client()
        model = workshop.model(client)
    current = {"server": ""}
    async with ClientSessionGroup(
            component_name_hook=lambda tool, info: f"{current['server']}{SEP}{tool}") as group:
        await connect(group, names, config, approver, current, args.timeout)
        counts = {n: sum(t.startswith(n + SEP) for t in group.tools) for n in names}
        console.print("servers:  " + ", ".join(f"{n} ({c} tools)" for n, c in counts.items()))
        if args.list:
            for name, tool in group.tools.items():
                console.print(f"  {name:34} {approver.rule(name, tool):5} {(tool.description or '')[:50]}")
            return 0
        tools = [openai_tool(name, tool) for name, tool in group.tools.items()]
        # --8<-- [start:loop]
        messages = [{"role": "user", "content": args.question}]
        console.print(f"user:     {args.question}")
        first = ({"type": "function", "function": {"name": args.tool}} if args.tool
                 else "required" if args.require_tool else "auto")
        for step in range(args.max_steps):
            max_tokens = 160 if step == 0 else 100
            response = client.chat.completions.create(
                model=model, messages=messages, tools=tools, tool_choice=first if step == 0 else "auto",
                parallel_tool_calls=False, temperature=0, max_tokens=max_tokens)
            message = response.choices[0].message
            if not message.tool_calls:
                reason = response.choices[0].finish_reason
                console.print(f"answer:   {answer_line(message.content, reason, max_tokens)}")
                break
            messages.append(message.model_dump(include={"role", "content", "tool_calls"}))
            for call in message.tool_calls:
                messages.append(await run_call(group, approver, call, args.timeout))
        # --8<-- [end:loop]
        else:
            console.print(f"answer:   (none after {args.max_steps} rounds of tool calls)")
    console.print(f"audit:    {audit.count} events appended to {args.audit}")
    return 0


def answer_line(text: str | None, finish_reason: str | None, max_tokens: int, limit: int = 200) -> str:
    """The model's answer as the agent prints it: its first ``limit`` characters, and, when the text
    was cut (by this limit, or by ``max_tokens`` on the server: ``finish_reason`` ``"length"``), a
    note that says so, so that an answer ending mid-word is not taken for the model's last word
    (a walkthrough saw "- Items: [GLOV" and "This is" with nothing after them)."""
    text = (text or "").strip()
    cuts = []
    if len(text) > limit:
        text = text[:limit]
        cuts.append(f"the agent shows the first {limit} characters")
    if finish_reason == "length":
        cuts.append(f"the reply reached its limit of {max_tokens} tokens")
    return text + (f" ... ({'; '.join(cuts)})" if cuts else "")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = workshop.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("question", nargs="?", default="")
    ap.add_argument("--config", type=Path, default=CONFIG)
    ap.add_argument("--servers", help="comma-separated server names (default: all in the config)")
    ap.add_argument("--decisions", type=Path, help="answers for the calls that ask (JSON list)")
    ap.add_argument("--audit", type=Path, default=AUDIT)
    ap.add_argument("--tool", help="force the first call to this tool (<server>__<tool>)")
    ap.add_argument("--require-tool", action="store_true", help="force some call first")
    ap.add_argument("--max-steps", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds per server start and call")
    ap.add_argument("--list", action="store_true", help="list the servers' tools and exit")
    args = ap.parse_args(argv)
    if not args.question and not args.list:
        ap.error("give a question, or --list")
    return args


def leaf(exc: BaseException) -> BaseException:
    """The first real exception inside (nested) exception groups, which anyio task groups raise."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        try:
            return asyncio.run(main_async(args))
        except BaseExceptionGroup as group:  # the MCP client's task groups wrap what we raise
            raise leaf(group) from None
    except UsageError as exc:
        print(f"error: {exc}\n  fix: {exc.fix}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    workshop.run(main)
