"""Checkpoint: verify your progress at the end of a module against your own server.

Run: ``python labs/checkpoint.py <module>`` (for example ``python labs/checkpoint.py 2``)

Each module's checks are small requests that only pass when what the module taught works on the
server at ``VLLM_BASE_URL`` (the same variables as every lab). Prints ``PASS``/``FAIL`` with a
reason per check, then a summary line. Exit status: 0 when every check passes, 1 otherwise (a
known failure such as an unreachable server prints one message that says what to run), 2 for an
unknown module number. In a terminal, a line counts the seconds while a check runs (a round
trip or the agent's run took 35 to 51 s on the busy 2-core machine), wiped before its result.
"""
from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Callable

import httpx
import jsonschema
import openai

import workshop

Check = tuple[str, Callable[[], str | None]]  # (what is checked, returns a problem or None)


def run_check(what: str, check: Callable[[], str | None], out=None) -> str | None:
    """``check()``'s problem (``None`` when it passes). When ``out`` (default stdout) is a
    terminal, ``checking: <what> ... N s`` is rewritten there every second while the check runs
    and wiped before the caller prints the result (``workshop.Ticker``), so a check of a minute
    is never a silent wait; to a pipe or a file (CI, the docs runner) nothing is added."""
    with workshop.Ticker(f"checking: {what[:60]}", after=1, out=out):
        return check()


def module1_checks(client, model) -> list[Check]:
    """Module 1: the server is up, lists a model, chats, streams and honours max_tokens."""
    def health():
        status = httpx.get(workshop.server_root() + "/health", timeout=10).status_code
        return None if status == 200 else f"/health answered HTTP {status}"

    def chat():
        r = client.chat.completions.create(model=model, temperature=0, max_tokens=16,
                                           messages=[{"role": "user", "content": "Say hello."}])
        return None if r.choices[0].message.content else "the reply was empty"

    def stream():
        chunks = [c for c in client.chat.completions.create(
            model=model, temperature=0, max_tokens=16, stream=True,
            messages=[{"role": "user", "content": "Count to five."}]) if c.choices]
        return None if len(chunks) > 1 else f"expected several chunks, got {len(chunks)}"

    def length():
        r = client.chat.completions.create(model=model, max_tokens=3, temperature=0,
                                           messages=[{"role": "user", "content": "Tell a story."}])
        reason = r.choices[0].finish_reason
        return None if reason == "length" else f"finish_reason was {reason!r}, not 'length'"

    return [("server answers /health", health),
            (f"/v1/models lists {model}",
             lambda: None if model in workshop.served_models(client) else "it is not listed"),
            ("a chat completion returns text", chat),
            ("streaming returns several chunks", stream),
            ("max_tokens cuts a reply (finish_reason 'length')", length)]


def module2_checks(client, model) -> list[Check]:
    """Module 2: JSON Schema, regex and choice constraints are enforced by the server."""
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}},
              "required": ["ok"], "additionalProperties": False}

    def ask(constraint: dict, max_tokens: int = 40) -> str:
        r = client.chat.completions.create(
            model=model, temperature=0, max_tokens=max_tokens,
            messages=[{"role": "user", "content": "Answer the support question: is the shop open?"}],
            extra_body={"structured_outputs": constraint})
        return r.choices[0].message.content or ""

    def json_schema():
        try:
            jsonschema.validate(json.loads(ask({"json": schema})), schema)
        except (json.JSONDecodeError, jsonschema.ValidationError) as err:
            return f"the reply does not follow the schema: {err}"
        return None

    def regex():
        text = ask({"regex": r"ACME-[A-Z]{4}-[0-9]{4}"})
        return None if re.fullmatch(r"ACME-[A-Z]{4}-[0-9]{4}", text) else f"{text!r} does not match"

    def choice():
        text = ask({"choice": ["yes", "no"]}, max_tokens=3)
        return None if text in ("yes", "no") else f"{text!r} is not one of the choices"

    return [("a JSON Schema constraint gives valid JSON", json_schema),
            ("a regex constraint gives a full match", regex),
            ("a choice constraint gives one of the choices", choice)]


def module3_checks(client, model) -> list[Check]:
    """Module 3: tool calling is enabled, forced calls come back valid, a round trip completes."""
    from acme.tools import ToolError, call, openai_tools, schema_errors, tool_message

    tools = openai_tools(["get_order_status", "get_customer"])
    question = [{"role": "user", "content": "Where is my order ACME-1042?"}]

    def ask(tool_choice, messages=question):
        return client.chat.completions.create(
            model=model, messages=messages, tools=tools, tool_choice=tool_choice,
            parallel_tool_calls=False, temperature=0, max_tokens=100).choices[0]

    def enabled():
        try:
            ask("auto")
        except openai.BadRequestError as err:
            return f"the server refused tools: {err.message}"
        return None

    def named():
        calls = ask({"type": "function", "function": {"name": "get_order_status"}}).message.tool_calls
        if not calls or calls[0].function.name != "get_order_status":
            return f"expected a get_order_status call, got {calls!r}"
        errors = schema_errors("get_order_status", json.loads(calls[0].function.arguments))
        return f"the arguments break the schema: {errors}" if errors else None

    def required():
        calls = ask("required").message.tool_calls
        return None if calls else "no tool call came back"

    def round_trip():
        choice = ask("required")
        if not choice.message.tool_calls:
            return "no tool call came back"
        messages = question + [choice.message.model_dump(include={"role", "content", "tool_calls"})]
        for tool_call in choice.message.tool_calls:
            try:
                result = call(tool_call.function.name, tool_call.function.arguments)
            except ToolError as err:
                result = err
            messages.append(tool_message(tool_call.id, result))
        final = ask("none", messages)
        return None if final.message.content else "no answer after the tool result"

    return [("the server accepts tools (--enable-auto-tool-choice, --tool-call-parser)", enabled),
            ("a named tool_choice returns that tool with valid arguments", named),
            ("tool_choice='required' returns a call", required),
            ("a round trip (call, tool message, answer) completes", round_trip)]


def module4_checks(client, model) -> list[Check]:  # noqa: ARG001 - same signature as the others
    """Module 4: ACME's MCP server answers over stdio, and the agent denies an unapproved write,
    leaves the database as it was and writes both to its audit log."""
    import asyncio
    import hashlib
    import subprocess
    import tempfile
    from pathlib import Path

    from mcp import ClientSession, StdioServerParameters, stdio_client

    from acme.db import create, db_path

    async def ask_server():
        params = StdioServerParameters(command=sys.executable, args=["labs/module4/acme_mcp_server.py"])
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                names = [t.name for t in (await session.list_tools()).tools]
                result = await session.call_tool("get_order_status", {"order_id": "ACME-1042"})
                return names, result

    def server():
        names, result = asyncio.run(ask_server())
        if len(names) != 5:
            return f"expected 5 tools, got {names}"
        return "the read tool failed" if result.is_error else None

    def gate():
        create()
        before = hashlib.sha256(db_path().read_bytes()).hexdigest()
        with tempfile.TemporaryDirectory() as tmp:
            audit = Path(tmp) / "audit.jsonl"
            p = subprocess.run([sys.executable, "labs/module4/agent.py", "--servers", "acme",
                                "--tool", "acme__issue_refund", "--audit", str(audit),
                                "Refund 10 dollars on order ACME-1046."],
                               capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
            events = [json.loads(line)["event"] for line in audit.read_text().splitlines()] \
                if audit.exists() else []
        if p.returncode:
            return f"the agent failed: {(p.stderr or p.stdout)[-300:]}"
        if "decision: deny" not in p.stdout:
            return "the write was not denied"
        if hashlib.sha256(db_path().read_bytes()).hexdigest() != before:
            return "the database changed"
        return None if {"proposal", "decision"} <= set(events) else f"audit events: {events}"

    return [("ACME's MCP server lists its tools and answers a read over stdio", server),
            ("the agent denies a write nobody approved; database unchanged; audited", gate)]


def module5_checks(client, model) -> list[Check]:
    """Module 5: /metrics has what an operator reads, batching pays off on this server, and a
    GuideLLM sweep's report is there to read."""
    import time
    from concurrent.futures import ThreadPoolExecutor
    from pathlib import Path

    from prometheus_client.parser import text_string_to_metric_families

    def metrics():
        text = httpx.get(workshop.server_root() + "/metrics", timeout=10).text
        names = {f.name for f in text_string_to_metric_families(text)}
        wanted = {"vllm:num_requests_running", "vllm:num_requests_waiting", "vllm:kv_cache_usage_perc",
                  "vllm:time_to_first_token_seconds", "vllm:inter_token_latency_seconds"}
        return None if wanted <= names else f"missing: {sorted(wanted - names)}"

    def batching():
        def ask(_):
            client.chat.completions.create(model=model, max_tokens=16, temperature=0,
                                           messages=[{"role": "user", "content": "Tell a story."}],
                                           extra_body={"ignore_eos": True})
        ask(0)
        start = time.perf_counter()
        for i in range(8):
            ask(i)
        one_by_one = time.perf_counter() - start
        start = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(ask, range(8)))
        together = time.perf_counter() - start
        return None if together < 0.6 * one_by_one else (
            f"8 at once took {together:.1f} s, 8 one by one {one_by_one:.1f} s: no batching gain "
            "(is the machine busy?)")

    def report():
        path = Path(".workshop/bench/guidellm/benchmarks.json")
        if not path.exists():
            return f"{path} is missing: run bash labs/module5/guidellm_sweep.sh"
        count = len(json.loads(path.read_text()).get("benchmarks", []))
        return None if count >= 2 else f"the report holds {count} benchmark(s), expected a sweep"

    return [("/metrics shows running, waiting, KV-cache usage, TTFT and ITL", metrics),
            ("8 requests at once finish in well under the time of 8 one by one", batching),
            ("a GuideLLM sweep's report is in .workshop/bench/guidellm/", report)]


def module6_checks(client, model) -> list[Check]:
    """Module 6: the server lists LoRA adapters beside its base model, each adapter answers, and
    ACME's house-style adapter (``acme-tone``) writes in the house style on held-out questions,
    also when its requests share a batch with the base model's."""
    from concurrent.futures import ThreadPoolExecutor
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent / "module6"))
    import house_style

    listed = client.models.list().data
    adapters = [m.id for m in listed if (m.model_extra or {}).get("parent")]

    def listing():
        return None if adapters else (f"{workshop.base_url()} lists no adapter (no model has a "
                                      "'parent'): start the server with --enable-lora --lora-modules")

    def answers():
        dumb = [a for a in adapters if not client.chat.completions.create(
            model=a, max_tokens=8, temperature=0,
            messages=[{"role": "user", "content": "Hello"}]).choices[0].message.content]
        return f"no answer from {dumb}" if dumb else (None if adapters else "no adapter to ask")

    def style():
        if "acme-tone" not in adapters:
            return "the server does not serve acme-tone (Module 6, section 2)"
        questions = house_style.held_out()[:4]
        jobs = [(m, q) for q in questions for m in ("acme-tone", model)]

        def ask(job):
            m, q = job
            return m, client.chat.completions.create(
                model=m, max_tokens=120, temperature=0,
                messages=[{"role": "user", "content": q}]).choices[0].message.content or ""

        with ThreadPoolExecutor(len(jobs)) as pool:
            results = list(pool.map(ask, jobs))
        tone = sum(house_style.follows_house_style(t) for m, t in results if m == "acme-tone")
        base = sum(house_style.follows_house_style(t) for m, t in results if m == model)
        if tone < 3:
            return f"acme-tone wrote {tone} of 4 replies in the house style"
        return None if base == 0 else (f"the base model wrote {base} of 4 replies in the house style "
                                       "beside acme-tone: start the server with --max-loras one "
                                       "more than its adapters (section 4)")

    return [("/v1/models lists LoRA adapters beside the base model", listing),
            ("every adapter answers a chat request", answers),
            ("acme-tone answers held-out questions in ACME's house style, the base model does not, "
             "in one batch", style)]


MODULES = {1: module1_checks, 2: module2_checks, 3: module3_checks, 4: module4_checks,
           5: module5_checks, 6: module6_checks}


def main() -> int:
    if sys.argv[1:] in (["-h"], ["--help"]):
        print(f"usage: python labs/checkpoint.py <module>  (one of {', '.join(map(str, sorted(MODULES)))})"
              f"\n\n{__doc__.split(chr(10) * 2)[0]}\n\n{__doc__.split(chr(10) * 2)[2].strip()}")
        return 0
    if len(sys.argv) != 2 or not sys.argv[1].isdigit() or int(sys.argv[1]) not in MODULES:
        given = " ".join(sys.argv[1:]) or "nothing"
        print(f"error: the checkpoint takes one module number, not {given}\n  fix: python "
              f"labs/checkpoint.py <module>  (one of {', '.join(map(str, sorted(MODULES)))})",
              file=sys.stderr)
        return 2
    number = int(sys.argv[1])
    client = workshop.client()
    model = workshop.model(client)
    checks = MODULES[number](client, model)
    failed = 0
    for what, check in checks:
        problem = run_check(what, check)
        failed += problem is not None
        print(f"PASS {what}" if problem is None else f"FAIL {what}: {problem}")
    print(f"Module {number} checkpoint: {len(checks) - failed} of {len(checks)} checks passed")
    if failed:
        print(f"error: {failed} check(s) failed\n  fix: each FAIL line says what went wrong; the "
              f"troubleshooting section of Module {number} lists the usual causes", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    workshop.run(main)
