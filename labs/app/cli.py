"""ACME's support chat in a terminal: the app's HTTP API, read as Server-Sent Events.

Run (with the app running): ``python labs/app/cli.py --url http://127.0.0.1:PORT "question"``

Streams the reply as it arrives (rich), shows each tool call, and answers a write's
``approval_needed`` event: in a terminal it asks you (Ctrl+D answers no); otherwise
``--writes approve`` or ``--writes deny`` (the default) decides, so a script never approves by
accident. Options
``--temperature``, ``--max-tokens`` and ``--tool`` are the API's fields. It prints ``[asking]
URL/api/chat`` first; while nothing arrives, ``[waiting] N s ...`` every 15 s
(``$WORKSHOP_PROGRESS_EVERY``): the app shows a tool call
once the model has written all of it, which took 20 to 27 s on the workshop's 2-core machine
(about 100 tokens after a prompt of 1,971 with ACME's tools; load average 2 to 4). Exit status:
0 when the reply finished, 1 for an ``error`` event, an app that does not answer or a URL that is
not the app (one ``error: ... fix:``), 2 for bad options.
"""
from __future__ import annotations

import time

STARTED = time.monotonic()  # before the imports: the waiting line counts them too

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402

import httpx  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.prompt import Confirm  # noqa: E402
from rich.text import Text  # noqa: E402

import workshop  # noqa: E402


class Screen(Console):
    """rich's ``Console`` that remembers when it last printed (``last``, monotonic seconds) and
    whether it is asking the user (``asking``), for :func:`keep_talking`. The end of input
    (Ctrl+D) at a question answers no."""

    last = STARTED
    asking = False

    def print(self, *args, **kwargs):  # noqa: D102 - rich's
        super().print(*args, **kwargs)
        self.last = time.monotonic()

    def input(self, *args, **kwargs):  # noqa: D102 - rich's; the user's own time is no silence
        self.asking = True
        try:
            return super().input(*args, **kwargs)
        except EOFError:  # Ctrl+D, or a terminal whose input has ended: no
            super().print("n")
            return "n"
        finally:
            self.asking, self.last = False, time.monotonic()


console = Screen(highlight=False, markup=False, soft_wrap=True)


def keep_talking(every: float | None = None) -> None:
    """From now on, print ``[waiting] N s ...`` whenever nothing was printed for ``every`` seconds
    (default ``$WORKSHOP_PROGRESS_EVERY``, else 15), except while the user is asked to approve: a
    tool call appears only when the model has written all of it. A daemon thread; it ends with
    the program."""
    every = every or float(os.environ.get("WORKSHOP_PROGRESS_EVERY", 15))

    def tick() -> None:
        while True:
            time.sleep(min(0.25, every / 4))
            now = time.monotonic()
            if not console.asking and now - console.last >= every:
                console.print(Text(f"\n[waiting] {now - STARTED:.0f} s: the model is still writing "
                                   "(a tool call is shown once it is complete)"))

    threading.Thread(target=tick, daemon=True).start()


#: The request's fields (labs/app/app.py's ChatRequest) this client fills, and what sets each here.
OPTIONS = {"tool_choice": "--tool", "temperature": "--temperature", "max_tokens": "--max-tokens",
           "prompt": "the question"}


def refusal(url: str, response: httpx.Response) -> str:
    """What went wrong, then ``\n  fix: ...`` (the caller prints it after ``error: ``), for an
    answer other than 200 to ``POST {url}/api/chat``: the app's own ``{"error", "fix"}`` (HTTP
    422, a field out of range), whose fix names this client's option for the field (``--tool``
    for ``tool_choice``: the app's own fix points at its request fields, which a user of this
    client does not write), or anything else: then ``url`` is not the app (vLLM's URL, another
    program, a path after the port)."""
    try:
        error = json.loads(response.read())
    except ValueError:
        error = None
    if isinstance(error, dict) and "error" in error and "fix" in error:
        field = next((f for f in OPTIONS if f in str(error["error"])), None)
        fix = (f"change {OPTIONS[field]}: the message says what it takes (python labs/app/cli.py --help)"
               if field else error["fix"])
        return f"{error['error']}\n  fix: {fix}"
    return (f"{url}/api/chat answered HTTP {response.status_code}: {url} is not ACME's chat app"
            "\n  fix: pass the URL the app printed when it started (ACME support chat: "
            "http://127.0.0.1:PORT/), e.g. --url \"http://127.0.0.1:$APP_PORT\"; not vLLM's URL")


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
    if not args.url.startswith(("http://", "https://")):
        print(f"error: --url {args.url} has no http://\n  fix: --url http://{args.url}  (the URL the "
              "app prints)", file=sys.stderr)
        return 2
    writes = args.writes or ("ask" if sys.stdin.isatty() else "deny")
    body = {"prompt": args.question, "temperature": args.temperature,
            "max_tokens": args.max_tokens, "tool_choice": args.tool}
    url = args.url.rstrip("/")
    console.print(Text(f"[asking] {url}/api/chat"))  # a line first, then one per 15 s of silence
    keep_talking()
    try:
        with httpx.Client(timeout=httpx.Timeout(10, read=330)) as http:
            # --8<-- [start:stream]
            with http.stream("POST", f"{url}/api/chat", json=body) as response:
                if response.status_code != 200:  # a field out of range, or not the app at all
                    print(f"error: {refusal(url, response)}", file=sys.stderr)
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
