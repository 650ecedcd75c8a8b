"""ACME's support chat in a terminal: the app's HTTP API, read as Server-Sent Events.

Run (with the app running): ``python labs/app/cli.py --url http://127.0.0.1:PORT "question"``

Streams the reply as it arrives (rich), shows each tool call, and answers a write's
``approval_needed`` event: in a terminal it asks you; otherwise ``--writes approve`` or
``--writes deny`` (the default) decides, so a script never approves by accident. Options
``--temperature``, ``--max-tokens`` and ``--tool`` are the API's fields. Exit status: 0 when the
reply finished, 1 for an ``error`` event or an app that does not answer (one ``error: ... fix:``).
"""
from __future__ import annotations

import workshop
import json
import sys

import httpx
from rich.console import Console
from rich.prompt import Confirm
from rich.text import Text

console = Console(highlight=False, markup=False, soft_wrap=True)


# --8<-- [start:sse]
def events(response: httpx.Response):
    """``(name, data)`` for each Server-Sent Event of a streaming response."""
    name, data = "message", []
    for line in response.iter_lines():
        if line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
        elif not line and data:  # a blank line ends an event
            yield name, json.loads("\n".join(data))
            name, data = "message", []
# --8<-- [end:sse]


def main(argv: list[str] | None = None) -> int:
    ap = workshop.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("question")
    ap.add_argument("--url", required=True, help="the app, e.g. http://127.0.0.1:8765")
    ap.add_argument("--temperature", type=float, default=0.7)
    ap.add_argument("--max-tokens", type=int, default=256)
    ap.add_argument("--tool", default="auto", help="auto, required, none or a tool's name")
    ap.add_argument("--writes", choices=["ask", "approve", "deny"], default=None,
                    help="how to answer a write (default: ask in a terminal, else deny)")
    args = ap.parse_args(argv)
    writes = args.writes or ("ask" if sys.stdin.isatty() else "deny")
    body = {"prompt": args.question, "temperature": args.temperature,
            "max_tokens": args.max_tokens, "tool_choice": args.tool}
    url = args.url.rstrip("/")
    try:
        with httpx.Client(timeout=httpx.Timeout(10, read=330)) as http:
            # --8<-- [start:stream]
            with http.stream("POST", f"{url}/api/chat", json=body) as response:
                if response.status_code != 200:
                    error = json.loads(response.read())
                    print(f"error: {error.get('error', error)}\n  fix: {error.get('fix', 'see the app')}",
                          file=sys.stderr)
                    return 1
                for name, data in events(response):
                    if name == "token":
                        console.print(Text(data["text"]), end="")
                    elif name == "tool_call":
                        console.print(Text(f"\n[tool] {data['name']} {data['arguments']} ({data['kind']})"))
                    elif name == "approval_needed":
                        ok = (Confirm.ask(f"approve {data['name']}?", console=console) if writes == "ask"
                              else writes == "approve")
                        http.post(f"{url}/api/approvals/{data['id']}",
                                  json={"decision": "approve" if ok else "deny"})
                        console.print(Text(f"[{'approved' if ok else 'denied'}] {data['name']}"))
                    elif name == "tool_result":
                        shown = json.dumps(data.get("result")) if data["ok"] else data["error"]
                        console.print(Text(f"[result] {shown[:120]}"))
                    elif name == "done":
                        console.print(Text(f"\n[done] finish_reason={data['finish_reason']}"))
                        return 0
                    elif name == "error":
                        print(f"\nerror: {data['message']}\n  fix: {data['fix']}", file=sys.stderr)
                        return 1
            # --8<-- [end:stream]
    except httpx.HTTPError as exc:
        print(f"error: the app at {url} does not answer ({type(exc).__name__})\n"
              "  fix: start it with python labs/app/app.py and pass the URL it prints", file=sys.stderr)
        return 1
    print("error: the stream ended without done\n  fix: see the app's log", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
