"""Start, stop and inspect the workshop's vLLM server: ``python scripts/server.py start|stop|status|restart``.

``python scripts/server.py free-port`` prints a TCP port that is free on 127.0.0.1 right now (for
``VLLM_PORT=$(python3 scripts/server.py free-port) ...``); this file needs only the standard
library, so it runs with or without the workshop's virtual environment.

``start`` runs the CPU server profile ``labs/serve/serve_cpu.sh`` (the same file Module 1 shows)
in the background, or any command given after ``--``, for example on a GPU box::

    python scripts/server.py start -- vllm serve Qwen/Qwen3-8B --enable-auto-tool-choice --tool-call-parser hermes

Files (outside git): ``.workshop/run/server.pid`` (process group leader) and
``.workshop/run/server.log`` (everything the server prints). ``--name NAME`` keeps a second
server apart from the workshop's (``NAME.pid``, ``NAME.log``), e.g. the embeddings server of the
API guide::

    VLLM_PORT=$EMBED_PORT python scripts/server.py start --name embeddings -- vllm serve ... --port $EMBED_PORT

Behaviour:
- a healthy server already answering at the URL is reused (nothing is started);
- a port that is taken by something that is not a healthy vLLM server is an error, with the fix;
- while the server loads, a progress line shows the elapsed seconds and the log's last line;
- on failure the tail of the log is printed with the likely fix (see ``DIAGNOSES``).

The URL is ``http://$VLLM_HOST:$VLLM_PORT`` (default ``127.0.0.1:8000``). Exit codes: 0 success,
1 failure (message on stderr). The lifecycle itself (start, wait, stop, diagnoses) is
``labs/workshop_server.py``, which every server of the workshop and of its tests goes through.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "labs"))  # standard library only: runs with or without the venv

import workshop_server as ws  # noqa: E402  (labs/workshop_server.py)


def base_url() -> str:
    """Server root URL from ``VLLM_HOST``/``VLLM_PORT`` (no ``/v1``), e.g. ``http://127.0.0.1:8000``."""
    return f"http://{os.environ.get('VLLM_HOST', '127.0.0.1')}:{os.environ.get('VLLM_PORT', '8000')}"


def server(name: str, command: list[str] | None = None) -> ws.Server:
    """The named server at ``$VLLM_HOST:$VLLM_PORT`` (its files: ``.workshop/run/NAME.{pid,log}``)."""
    return ws.Server(name, command=command or None, host=os.environ.get("VLLM_HOST", "127.0.0.1"),
                     port=int(os.environ.get("VLLM_PORT", "8000")))


def start(name: str, command: list[str], timeout: float) -> int:
    """Start ``command`` (default: the CPU profile) and wait until ``/health`` answers 200.

    Returns 0 when healthy (started or reused), 1 on failure (message on stderr).
    """
    srv = server(name, command)
    if srv.healthy():
        print(f"vLLM server already healthy at {srv.root}: reusing it")
        return 0
    if ws.port_open(srv.root):
        port = ws.free_port()
        print(f"error: {srv.root} is taken by a process that is not a healthy vLLM server.\n"
              f"  fix: find it with `ss -ltnp | grep :{srv.port}` and stop it, or use "
              f"a free port: VLLM_PORT={port} ./scripts/start and "
              f"export VLLM_BASE_URL=http://localhost:{port}/v1", file=sys.stderr)
        return 1
    srv.stop()  # a stale PID file of a server that no longer answers
    srv.start()
    print(f"starting vLLM (pid {srv.proc.pid}): {' '.join(srv.command)}\n  log: {srv.log}", flush=True)
    tty = sys.stdout.isatty()

    def progress(line: str) -> None:
        print(f"\r\033[K{line}" if tty else line, end="" if tty else "\n", flush=True)

    try:
        elapsed = srv.wait(timeout, progress=progress, every=1 if tty else 15)
    except ws.ServerError as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return 1
    print("\r\033[K" if tty else "", end="")
    print(f"vLLM server healthy at {srv.root} after {elapsed:.0f} s")
    return 0


def stop(name: str) -> int:
    """Stop the named server (SIGTERM to its process group, SIGKILL after 30 s)."""
    srv = ws.named(name)
    pid = srv.pid()
    if pid is None:
        print(f"no workshop vLLM server is running (no live PID in "
              f"{srv.pid_file.relative_to(ROOT)})")
        srv.pid_file.unlink(missing_ok=True)
        return 0
    srv.stop()
    print(f"stopped the vLLM server (pid {pid})")
    return 0


def status(name: str) -> int:
    """Print PID, URL and health; exit 0 when healthy, 1 otherwise."""
    srv = server(name)
    healthy = srv.healthy()
    print(f"url:    {srv.base_url}\npid:    {ws.named(name).pid() or '-'}\n"
          f"health: {'ok' if healthy else 'not answering'}\nlog:    {srv.log}")
    return 0 if healthy else 1


def _name(value: str) -> str:
    """``--name``: letters, digits, ``-`` and ``_`` only (it becomes a file name)."""
    if not re.fullmatch(r"[\w-]+", value):
        raise argparse.ArgumentTypeError(f"{value!r}: use letters, digits, '-' or '_'")
    return value


class ArgumentParser(argparse.ArgumentParser):
    """argparse's parser whose errors (an unknown option, a missing action) are one ``error: ...
    fix: ...`` like the labs' (exit status 2), not the usage dump; ``--help`` still lists them.
    The labs' own parser (``labs/workshop.py``) needs the venv, which this file does not."""

    def error(self, message: str):  # noqa: D102 - argparse's hook
        usage = " ".join(self.format_usage().split()).removeprefix(f"usage: {self.prog}").strip()
        print(f"error: {message}\n  fix: python scripts/server.py {usage}  (--help explains each "
              "option; the server's own command goes after --)", file=sys.stderr)
        sys.exit(2)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; see the module docstring."""
    argv = list(sys.argv[1:] if argv is None else argv)
    command: list[str] = []
    if "--" in argv:
        i = argv.index("--")
        argv, command = argv[:i], argv[i + 1:]
    ap = ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("action", choices=["start", "stop", "status", "restart", "free-port"])
    ap.add_argument("--name", default="server", type=_name,
                    help="which server: its PID and log files are .workshop/run/NAME.{pid,log} "
                         "(default: server, the workshop's own)")
    ap.add_argument("--timeout", type=float, default=float(os.environ.get("VLLM_START_TIMEOUT", 900)),
                    help="seconds to wait for /health (default 900)")
    args = ap.parse_args(argv)
    if args.action == "free-port":
        print(ws.free_port())
        return 0
    if args.action == "stop":
        return stop(args.name)
    if args.action == "status":
        return status(args.name)
    if args.action == "restart":
        stop(args.name)
    return start(args.name, command, args.timeout)


if __name__ == "__main__":
    sys.exit(main())
