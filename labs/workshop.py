"""Shared helpers for the workshop's labs: where the server is, which model, clear errors.

Every lab is a complete program (``python labs/<module>/<name>.py``) that reads:

- ``VLLM_BASE_URL``: the OpenAI-compatible root, default ``http://localhost:8000/v1``;
- ``VLLM_API_KEY``: the key the server was started with (``--api-key``), default ``EMPTY``;
- ``VLLM_MODEL``: the model name to use, default the first model the server lists.

Errors a learner can fix are raised as :class:`WorkshopError`, whose message says what to run;
:func:`run` prints it on stderr and exits with status 1, instead of a long traceback.
This module is installed in editable mode by ``scripts/setup.sh`` (``pip install -e .``).
"""
from __future__ import annotations

import argparse
import atexit
import multiprocessing
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn

import httpx
import httpx2
import openai
from openai._constants import DEFAULT_CONNECTION_LIMITS

DEFAULT_BASE_URL = "http://localhost:8000/v1"
#: The fix when nothing answers at ``VLLM_BASE_URL``: the server is down, or the variable points
#: elsewhere (a typo, a remote server's old address). Bash labs: ``WS_START_HINT`` in workshop.sh.
START_HINT = ("start the workshop server with ./scripts/start (or see 'Before you begin'), or "
              "export VLLM_BASE_URL=<your server>/v1")


class WorkshopError(RuntimeError):
    """A problem the learner can fix; the message ends with the command that fixes it."""


def _command() -> str:
    """How the learner ran this program: ``python labs/x/y.py`` (the path as typed)."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    if spec is not None and spec.name:  # python -m acme.db
        return f"python -m {spec.name}"
    return f"python {sys.argv[0]}" if sys.argv and sys.argv[0].endswith(".py") else "this lab"


class ArgumentParser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` whose errors are one ``error: ... fix: ...`` like the labs'
    other errors (exit status 2), instead of argparse's usage dump; ``--help`` still lists the
    options. Run as ``python -m acme.db``, its usage names that command (argparse's default
    would be ``db.py``, which is not what to type)."""

    def __init__(self, *args, **kwargs):
        spec = getattr(sys.modules.get("__main__"), "__spec__", None)
        if not args and "prog" not in kwargs and spec is not None and spec.name:
            kwargs["prog"] = f"python -m {spec.name}"
        super().__init__(*args, **kwargs)

    def parse_args(self, args=None, namespace=None):  # noqa: D102 - argparse's
        # An option it does not take is named first, before argparse's complaints about missing
        # arguments (python labs/app/cli.py --foo would otherwise hear "--url is required").
        given = sys.argv[1:] if args is None else list(args)
        known = [o for o in self._option_string_actions if o.startswith("--")]
        for arg in given:
            if arg == "--":
                break
            name = arg.split("=", 1)[0]
            if (name.startswith("--") and name not in self._option_string_actions
                    and not any(o.startswith(name) for o in known)):
                self.error(f"unrecognized arguments: {arg}")
        return super().parse_args(given, namespace)

    def error(self, message: str):  # noqa: D102 - argparse's hook
        usage = " ".join(self.format_usage().split()).removeprefix(f"usage: {self.prog}").strip()
        print(f"error: {message}\n  fix: {_command()} {usage}  ({_command()} --help explains "
              "each option)", file=sys.stderr)
        sys.exit(2)


def no_options(argv: list[str] | None = None, settings: str | None = "VLLM_BASE_URL") -> None:
    """For a lab that takes no arguments: ``--help`` prints its docstring's first paragraph,
    anything else ends it with one ``error: ... fix: ...`` and exit status 2 (before it loads a
    model or calls a server), rather than running as if nothing was said.

    ``settings`` names an environment variable the lab reads, for the fix; ``None`` for a lab
    that reads none (the fix then names no variable it would ignore)."""
    argv = sys.argv[1:] if argv is None else argv
    doc = (sys.modules["__main__"].__doc__ or "").strip().split("\n\n")[0]
    parser = ArgumentParser(description=doc)
    if argv and argv[0] not in ("-h", "--help"):
        where = (f"its settings are environment variables, such as {settings}; " if settings
                 else "")
        print(f"error: {_command()} takes no arguments, not: {' '.join(argv)}\n  fix: run it "
              f"without them: {_command()}  ({where}--help says what it does)", file=sys.stderr)
        sys.exit(2)
    parser.parse_args(argv)


def base_url() -> str:
    """``$VLLM_BASE_URL`` without a trailing slash, e.g. ``http://localhost:8000/v1``; unset or
    empty, :data:`DEFAULT_BASE_URL` (as in the bash labs)."""
    return (os.environ.get("VLLM_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")


def url_problem(url: str | None = None) -> str | None:
    """The error and fix for a ``VLLM_BASE_URL`` (default: :func:`base_url`) that does not start
    with ``http://`` or ``https://``, or ``None`` when it does. httpx refuses such a URL before
    anything is sent ("Request URL is missing an 'http://' or 'https://' protocol"), which is not a
    server that is down; the fix is the URL with ``http://`` (``localhost:8000/v1``,
    ``htp://...`` and ``http//...`` all give ``http://localhost:8000/v1``), or for an empty one
    (a lab's own ``OpenAI(base_url=os.environ.get(...))``), to unset it."""
    url = base_url() if url is None else url.rstrip("/")
    if re.match(r"https?://", url, re.IGNORECASE):
        return None
    if not url:   # a lab's own client given an empty VLLM_BASE_URL (base_url() reads it as unset)
        return ("VLLM_BASE_URL is set but empty.\n  fix: unset VLLM_BASE_URL (the workshop's "
                f"server, {DEFAULT_BASE_URL}) or export VLLM_BASE_URL=<your server>/v1")
    rest = re.sub(r"^\w+(?::/+|//)", "", url)
    return (f"VLLM_BASE_URL={url} does not start with http:// or https://.\n"
            f"  fix: export VLLM_BASE_URL=http://{rest}")


#: The workshop's model folder, relative to the workshop folder (``./scripts/start`` prepares it).
DEFAULT_MODEL_DIR = ".workshop/models/SmolLM2-135M-Instruct"


def model_dir() -> str:
    """The model an offline lab loads into its own process: ``$WORKSHOP_MODEL_DIR``, else
    :data:`DEFAULT_MODEL_DIR`; a folder, or a Hugging Face ID (``owner/name``) on a machine that
    may download it.

    Raises :class:`WorkshopError` when it is neither an existing folder nor shaped like an ID,
    before vLLM is asked: vLLM's answer is a traceback from transformers ("Repo id must be in
    the form 'repo_name' or 'namespace/repo_name'"), seen in a walkthrough of Module 1."""
    path = os.environ.get("WORKSHOP_MODEL_DIR") or DEFAULT_MODEL_DIR
    if os.path.isdir(path) or re.fullmatch(r"[\w.-]+/[\w.-]+", path):
        return path
    if os.environ.get("WORKSHOP_MODEL_DIR"):
        raise WorkshopError(
            f"WORKSHOP_MODEL_DIR={path} is neither a model folder nor a Hugging Face ID.\n  fix: "
            "unset WORKSHOP_MODEL_DIR (the workshop's model), or export WORKSHOP_MODEL_DIR=<a model "
            "folder, or a Hugging Face ID such as Qwen/Qwen3-0.6B>")
    raise WorkshopError(
        f"no model folder at {path} (under {os.getcwd()}).\n  fix: run the lab from the workshop "
        "folder; if it is not there either, ./scripts/start prepares it")


def server_root() -> str:
    """The server's root URL (``base_url()`` without ``/v1``), where ``/health`` lives."""
    return base_url().removesuffix("/v1")


def api_key() -> str:
    """``$VLLM_API_KEY``, default ``EMPTY`` (vLLM ignores the key unless started with ``--api-key``)."""
    return os.environ.get("VLLM_API_KEY", "EMPTY")


class Ticker:
    """In a terminal, ``<what> ... N s`` rewritten on one line once a second while work is under
    way (from ``after`` seconds on), and wiped when it ends, so that a wait of a minute is never a
    silent screen and the lines a page shows stay as they are; to a pipe or a file (CI, the docs
    runner, ``| tee``) nothing is written.

    ``with ticker: ...`` or ``start()``/``stop()``; nested and concurrent uses (many requests of
    an ``asyncio`` lab) share the one line, which shows the time since the first began. The
    caller is at the start of a line when the work begins (the line is rewritten from column 0).
    ``out`` is the stream, default ``sys.stdout`` when the work starts.

    While the line counts, what the program prints to ``sys.stdout`` (a table's rows, a
    ``waiting()`` line, from any thread) first wipes it, and the count comes back on the next line
    a second later: on the busy machine, Module 5's metrics table read ``waiting for the server's
    answer ... 14 s  14.9  24  0  8.3%`` row after row. The count is drawn only at the start of a
    line, so it never overwrites half a line the program has printed.
    """

    #: The ticker that has the line now: one line at a time (a checkpoint's check that sends a
    #: request shows the check's ticker, not also the request's).
    _owner: Ticker | None = None
    _lock = threading.Lock()

    def __init__(self, what: str, after: float = 2.0, out=None):
        self.what, self.after, self.out = what, after, out
        self._active = 0
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._stdout: _Wiping | None = None
        self._drawn, self._at_line_start = False, True

    def start(self) -> None:
        out = self.out or sys.stdout
        if not (hasattr(out, "isatty") and out.isatty()):
            return
        with Ticker._lock:
            self._active += 1
            if self._active > 1 or Ticker._owner is not None:
                return
            Ticker._owner = self
            self._drawn, self._at_line_start = False, True
            if out is sys.stdout:   # the program's own prints wipe the count first (_Wiping)
                self._stdout = sys.stdout = _Wiping(out, self)
            self._done = threading.Event()
            self._thread = threading.Thread(target=self._tick, args=(out, self._done, time.monotonic()),
                                            daemon=True)
            self._thread.start()

    def stop(self) -> None:
        with Ticker._lock:
            if self._active == 0:
                return
            self._active -= 1
            if self._active or Ticker._owner is not self:
                return
            Ticker._owner = None
            done, thread = self._done, self._thread
        done.set()
        thread.join()
        if self._stdout is not None and sys.stdout is self._stdout:
            sys.stdout = self._stdout.out
        self._stdout = None

    def _tick(self, out, done: threading.Event, start: float) -> None:
        if done.wait(self.after):
            return
        while True:
            with Ticker._lock:
                if self._at_line_start or self._drawn:
                    out.write(f"\r{self.what} ... {time.monotonic() - start:.0f} s")
                    out.flush()
                    self._drawn = True
            if done.wait(1):
                break
        with Ticker._lock:
            if self._drawn:
                out.write("\r\033[K")   # wipe: the next line the program prints takes its place
                out.flush()
                self._drawn = False

    def __enter__(self) -> Ticker:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


class _Wiping:
    """``sys.stdout`` while a :class:`Ticker` counts on it: a write first wipes the count
    (``\\r\\033[K``) and notes whether the line is left at its start; the rest is the stream's."""

    def __init__(self, out, ticker: Ticker):
        self.out, self._ticker = out, ticker

    def write(self, text: str) -> int:
        with Ticker._lock:
            if text and self._ticker._drawn:
                self.out.write("\r\033[K")
                self._ticker._drawn = False
            if text:
                self._ticker._at_line_start = text.endswith("\n")
            return self.out.write(text)

    def __getattr__(self, name: str):
        return getattr(self.out, name)


#: The one line a lab shows in a terminal while a request to the server waits for its answer
#: (its response headers: a streamed answer's tokens are the progress from then on). Walkthroughs
#: on the busy 2-core machine (load 6 to 15) saw single requests take 15 to 52 s in silence.
ANSWER = Ticker("waiting for the server's answer")


class _TickingTransport(httpx2.HTTPTransport):
    """openai's transport, with :data:`ANSWER` shown while a request waits for its answer."""

    def handle_request(self, request):  # noqa: D102 - httpx2's
        with ANSWER:
            return super().handle_request(request)


class _AsyncTickingTransport(httpx2.AsyncHTTPTransport):
    """The same as :class:`_TickingTransport`, for ``asyncio`` code."""

    async def handle_async_request(self, request):  # noqa: D102 - httpx2's
        ANSWER.start()
        try:
            return await super().handle_async_request(request)
        finally:
            ANSWER.stop()


def client(**kwargs) -> openai.OpenAI:
    """An ``openai.OpenAI`` client for the workshop server (``max_retries=0``: fail fast, clearly).
    In a terminal, a request that waits more than 2 s for its answer shows :data:`ANSWER`."""
    kwargs.setdefault("max_retries", 0)
    kwargs.setdefault("timeout", 120.0)
    # openai's own connection limits (its DefaultHttpxClient's), which a transport given to the
    # client replaces: httpx2's default of 100 connections would cap Module 5's concurrency.
    kwargs.setdefault("http_client", openai.DefaultHttpxClient(
        transport=_TickingTransport(limits=DEFAULT_CONNECTION_LIMITS)))
    return openai.OpenAI(base_url=base_url(), api_key=api_key(), **kwargs)


def async_client(**kwargs) -> openai.AsyncOpenAI:
    """The same as :func:`client`, for ``asyncio`` code (many requests at once)."""
    kwargs.setdefault("max_retries", 0)
    kwargs.setdefault("timeout", 120.0)
    kwargs.setdefault("http_client", openai.DefaultAsyncHttpxClient(
        transport=_AsyncTickingTransport(limits=DEFAULT_CONNECTION_LIMITS)))
    return openai.AsyncOpenAI(base_url=base_url(), api_key=api_key(), **kwargs)


def served_models(c: openai.OpenAI | None = None) -> list[str]:
    """IDs from ``GET /v1/models`` (OpenAI's list; a vllm-router in its multi-model mode answers
    ``{"models": [id, ...]}`` instead, read the same way).

    Raises :class:`WorkshopError` when nothing answers at ``base_url()`` or the key is refused.
    """
    c = c or client()
    try:
        page = c.models.list()
        if page.data is None:  # vllm-router 0.1.17 with --enable-igw answers {"models": [id, ...]}
            return list((page.model_extra or {}).get("models") or [])
        return [m.id for m in page.data]
    except openai.APIConnectionError as exc:
        if problem := url_problem(str(c.base_url)):  # the client's own: a lab may build one itself
            raise WorkshopError(problem) from exc
        raise WorkshopError(f"no vLLM server answers at {base_url()} ({exc.__cause__ or exc}).\n"
                            f"  fix: {START_HINT}") from exc
    except openai.AuthenticationError as exc:
        raise WorkshopError(f"the server at {base_url()} refused the API key (HTTP 401).\n"
                            "  fix: export VLLM_API_KEY=<the key given to vllm serve --api-key>") from exc
    except openai.NotFoundError as exc:
        raise WorkshopError(f"{base_url()}/models answered HTTP 404: VLLM_BASE_URL must be the "
                            "OpenAI-compatible root.\n  fix: export VLLM_BASE_URL="
                            f"{base_url() if base_url().endswith('/v1') else base_url() + '/v1'}"
                            "  (it ends in /v1)") from exc


def model(c: openai.OpenAI | None = None) -> str:
    """The model to use: ``$VLLM_MODEL`` if the server serves it, else the server's first model.

    Raises :class:`WorkshopError` listing the served models when ``$VLLM_MODEL`` is not one of them.
    """
    served = served_models(c)
    wanted = os.environ.get("VLLM_MODEL")
    if wanted and wanted not in served:
        raise WorkshopError(f"the server does not serve the model {wanted!r}; it serves: "
                            f"{', '.join(served)}.\n  fix: export VLLM_MODEL={served[0]}  "
                            "(or unset VLLM_MODEL to use the first one)")
    if not served:
        raise WorkshopError(f"the server at {base_url()} serves no model.\n  fix: {START_HINT}")
    return wanted or served[0]


#: HTTP 400 messages of vLLM 0.32 and their fixes, most specific first: ``(words in the message,
#: fix)``. Each was read from the server's answer to the request that causes it
#: (``tests/labs/test_workshop.py`` sends each one); the first whose words all appear wins.
BAD_REQUEST_FIXES: list[tuple[tuple[str, ...], str]] = [
    (("--enable-auto-tool-choice",),
     "restart the server with tool calling enabled: python scripts/server.py restart (the CPU "
     "profile has --enable-auto-tool-choice and --tool-call-parser smollm2)"),
    (("--tool-call-parser",),
     "restart the server with a tool parser: python scripts/server.py restart (the CPU profile "
     "has --tool-call-parser smollm2)"),
    (("does not match any of the specified `tools`",),
     "name a tool that the request sends in `tools` (check the spelling; the agent lists its "
     "tools with python labs/module4/agent.py --list)"),
    (("When using `tool_choice`, `tools` must be set",),
     "send the tools with the request (tools=[...]) or leave tool_choice out"),
    (("Invalid value for `tool_choice`",),
     'use tool_choice "auto", "required", "none" or {"type": "function", "function": {"name": ...}}'),
    (("maximum context length",),
     "shorten the prompt (fewer or shorter messages) or lower max_tokens"),
    (("cannot be greater than max_model_len",),
     "lower max_tokens (the server's context, --max-model-len, counts prompt and answer)"),
    (("Grammar error",),
     "fix the JSON Schema, regex or grammar that the message quotes (Module 2 shows each kind)"),
    (("JSON decode error",),
     "send a valid JSON body (check quotes and commas; python -m json.tool file.json shows where)"),
    (("validation error",),
     "fix the field that the message names (its 'loc'); the lab's page shows the request"),
]


def explain(exc: BaseException) -> str | None:
    """A learner-facing message for known failures, or ``None`` for anything unexpected.

    An HTTP 400 gets the fix for its cause (:data:`BAD_REQUEST_FIXES`, matched on vLLM's own
    message), or, for a message not in the table, the advice to read it: never the fix for
    another cause."""
    if isinstance(exc, WorkshopError):
        return str(exc)
    if isinstance(exc, openai.APITimeoutError):   # a subclass of APIConnectionError: the server is up
        return (f"the server at {base_url()} did not answer in time: it is busy, or the load is "
                "more than it finishes within the client's timeout.\n  fix: send less at once "
                "(fewer requests, shorter prompts, lower max_tokens) or wait for other work to end; "
                "python scripts/server.py status shows the server")
    if isinstance(exc, openai.APIConnectionError):
        return url_problem() or f"lost the connection to {base_url()}.\n  fix: {START_HINT}"
    if isinstance(exc, openai.NotFoundError):
        if "does not exist" in str(exc.message):  # vLLM: "The model `x` does not exist."
            return (f"HTTP 404 from {base_url()}: {exc.message}\n  fix: use a model the server "
                    "serves (bash labs/module1/endpoints.sh lists them; unset VLLM_MODEL for the first)")
        return (f"HTTP 404 from {base_url()}: {exc.message}\n  fix: check that VLLM_BASE_URL is "
                "the OpenAI-compatible root (it ends in /v1) and that this server serves the route")
    if isinstance(exc, openai.BadRequestError):
        body = exc.body if isinstance(exc.body, dict) else {}
        message = str(body.get("message") or exc.message)  # vLLM's own words, without "Error code: 400 - "
        for words, fix in BAD_REQUEST_FIXES:
            if all(w in message for w in words):
                return f"the server refused the request (HTTP 400): {message}\n  fix: {fix}"
        return (f"the server refused the request (HTTP 400): {message}\n  fix: read the "
                "server's message above: it names the field; the lab's page shows the request")
    if isinstance(exc, openai.AuthenticationError):
        return (f"the server at {base_url()} refused the API key (HTTP 401).\n"
                "  fix: export VLLM_API_KEY=<the key given to vllm serve --api-key>")
    if isinstance(exc, openai.APIStatusError):
        return (f"HTTP {exc.status_code} from the server: {exc.message}\n  fix: read the server's "
                "message; python scripts/server.py status and .workshop/run/server.log tell more")
    if isinstance(exc, httpx.HTTPError):
        return f"HTTP error talking to {server_root()}: {exc}\n  fix: {START_HINT}"
    return None


def busy_cores(seconds: float = 1.0, stat: str = "/proc/stat") -> float:
    """How many cores other programs keep busy now: the non-idle share of all cores over
    ``seconds`` (two samples of ``/proc/stat``'s first line: user nice system idle iowait ...
    ticks), times ``os.cpu_count()``. The load average would be late: it still counts, for a
    minute, the work that just ended. PyTorch's OpenMP threads wait for each other at every step,
    so a lab that runs torch on cores other programs hold can take many times longer."""
    def sample() -> tuple[int, int]:
        with open(stat) as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)   # idle + iowait
        return sum(fields), idle
    total0, idle0 = sample()
    time.sleep(seconds)
    total1, idle1 = sample()
    cores = os.cpu_count() or 1
    return cores * (1 - (idle1 - idle0) / max(1, total1 - total0))


@contextmanager
def waiting(what: str, every: float | None = None, announce: bool = True) -> Iterator[None]:
    """Say ``what`` is being waited for, then print a line every ``every`` seconds (default
    ``$WORKSHOP_PROGRESS_EVERY``, else 15) until the block ends, and how long it took: a long
    wait (a model loading into the lab's process, a server starting) is never silent.
    ``announce=False`` leaves out the first line, for a caller that has just said it itself.

    >>> with workshop.waiting("loading the model into this process"):
    ...     llm = LLM(model=MODEL)
    """
    every = every or float(os.environ.get("WORKSHOP_PROGRESS_EVERY", 15))
    if announce:
        print(f"{what} ...", flush=True)
    start, done = time.monotonic(), threading.Event()

    def tick() -> None:
        while not done.wait(every):
            print(f"  still {what.split()[0]}: {time.monotonic() - start:.0f} s", flush=True)

    ticker = threading.Thread(target=tick, daemon=True)
    ticker.start()
    try:
        yield
    finally:
        done.set()
        ticker.join()
    print(f"{what}: done in {time.monotonic() - start:.0f} s", flush=True)


def run(main: Callable[[], object], arguments: bool = True) -> None:
    """Run a lab's ``main()`` and exit with its return value when that is an ``int`` (else 0).

    A lab that takes no arguments says ``arguments=False``: :func:`no_options` checks the
    command line first. A lab that reads its own parses them with :class:`ArgumentParser`.

    Known failures (see :func:`explain`) become one clear message on stderr and exit status 1;
    anything else propagates with its traceback. Either way the lab ends through :func:`finish`,
    which stops vLLM's engine with progress lines when the lab started one (``vllm.LLM``).
    """
    if not arguments:
        no_options()
    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) is signal.SIG_DFL:
            signal.signal(sig, _stopped_by)
    try:
        result = main()
    except KeyboardInterrupt:   # Ctrl+C: the lab's finally blocks have run (servers stopped)
        print("\ninterrupted (Ctrl+C)", file=sys.stderr)
        finish(130)
    except Exception as exc:  # noqa: BLE001 - every known failure gets a readable message
        message = explain(exc)
        if message is None:
            raise
        print(f"error: {message}", file=sys.stderr)
        finish(1)
    finish(result if isinstance(result, int) else 0)


def _stopped_by(signum: int, frame) -> NoReturn:  # noqa: ARG001 - signal's handler signature
    """SIGTERM or SIGHUP (``kill``, ``timeout``, a closed terminal) end a lab the way Ctrl+C
    does: its ``finally`` blocks and ``with`` exits run, so a vLLM server it started
    (``workshop_server.Server``: Module 5's tune.py and step_profile.py, Module 6's router) is
    stopped. By default these signals end Python at once, and a walkthrough's
    ``timeout 120 python labs/module5/step_profile.py`` left its server running. Exit status
    128 + the signal's number, as the shell reports a process the signal ended."""
    raise SystemExit(128 + signum)


def finish(code: int) -> NoReturn:
    """Exit with status ``code``; when this process runs vLLM's engine (a lab built a
    ``vllm.LLM``: its engine runs in child processes), stop it first, never in silence.

    Without an engine this is ``sys.exit(code)``. With one, the exit took 6 s on an idle 2-core
    machine and 9 to 24 s on a busy one with nothing on the screen (walkthroughs, 7 and 8 December
    2026), in two parts. vLLM's own shutdown, which Python runs at exit (``atexit``): it sends the
    engine SIGTERM, waits up to 5 s, then kills it (``shutdown`` in ``vllm/v1/utils.py``). Then
    Python's teardown of this process, which only frees its memory: a profile showed garbage
    collection of every module (``gc_collect_main``), 2.5 s at load average 5, 12 s at 10. So the
    first part runs here, inside :func:`waiting` ("stopping vLLM's engine ...", a line every
    ``$WORKSHOP_PROGRESS_EVERY`` s, then "... done in N s"), as Python would run it: after the
    lab's other threads end, every ``atexit`` handler, whose errors still print on stderr. The
    second is left to the operating system, which frees the memory at once (``os._exit`` after
    flushing stdout and stderr).
    """
    if "vllm" in sys.modules and multiprocessing.active_children():
        with waiting("stopping vLLM's engine"):
            for thread in threading.enumerate():
                if thread is not threading.current_thread() and not thread.daemon:
                    thread.join()
            atexit._run_exitfuncs()  # what Python runs at exit, vLLM's engine shutdown among it
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
