"""``labs/workshop.py``: every branch of ``explain()`` gives the fix for the cause the server
names, checked against the real server's message for that cause (each bad request is sent to the
workshop server), never the fix for another cause; and a lab that loads a model into its own
process says so while it waits (``workshop.waiting``)."""
from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import openai
import pytest

import workshop
from support import ROOT, Terminal

TOOL = {"type": "function", "function": {"name": "get_order_status", "parameters": {
    "type": "object", "properties": {"order_id": {"type": "string"}}}}}
HI = [{"role": "user", "content": "hi"}]

#: A bad request a learner can send, and words its fix must say (and words it must not).
CASES = {
    "unknown tool name": (dict(tools=[TOOL], tool_choice={"type": "function", "function": {"name": "nope"}}),
                          "name a tool", "restart"),
    "tool_choice without tools": (dict(tool_choice="required"), "send the tools", "restart"),
    "bad tool_choice value": (dict(tools=[TOOL], tool_choice="sometimes"), '"auto", "required"', "restart"),
    "tool without a name": (dict(tools=[{"type": "function", "function": {"parameters": {}}}]),
                            "fix the field", "restart"),
    "max_tokens beyond the context": (dict(max_tokens=100_000), "lower max_tokens", "restart"),
    "prompt beyond the context": (dict(messages=[{"role": "user", "content": "word " * 9000}]),
                                  "shorten the prompt", "restart"),
    "broken regex": (dict(extra_body={"structured_outputs": {"regex": "(["}}), "fix the JSON Schema, regex", "restart"),
    "negative temperature": (dict(temperature=-1), "read the server's message", "restart"),
}


@pytest.fixture(scope="module")
def answers(vllm_server) -> dict[str, BaseException]:  # noqa: ARG001 - the server must be up
    c = workshop.client()
    model = workshop.model(c)
    found = {}
    for name, (extra, _, _) in CASES.items():
        kwargs = {"model": model, "messages": HI, "max_tokens": 5, **extra}
        try:
            c.chat.completions.create(**kwargs)
        except openai.APIStatusError as exc:
            found[name] = exc
    return found


@pytest.mark.parametrize("name", CASES)
def test_each_refusal_gets_the_fix_for_its_cause(name, answers):
    assert name in answers, f"the server accepted the {name} request: the case no longer applies"
    exc = answers[name]
    message = workshop.explain(exc)
    _, fix_words, wrong_words = CASES[name]
    assert message and str(exc.message).removeprefix("Error code: 400 - ") in message, message
    fix = message.partition("fix: ")[2]
    assert fix_words in fix and wrong_words not in fix, f"{name}: {message}"


def _vllm_source() -> str:
    """The installed vLLM's request checks, which send the messages of a server started without
    tool calling (that server is ``keyed_server``, started by ``tests/labs/test_lab_errors.py``)."""
    return (Path(openai.__file__).parents[1] / "vllm" / "renderers" / "online_renderer.py").read_text()


def _bad_request(message: str) -> openai.BadRequestError:
    request = httpx.Request("POST", "http://x/v1/chat/completions")
    response = httpx.Response(400, request=request, json={"error": {"message": message}})
    return openai.BadRequestError(message, response=response, body={"message": message})


def test_a_server_without_tool_calling_gets_the_restart_fix():
    source = _vllm_source()
    messages = ['"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set',
                'tool_choice="required" requires --tool-call-parser to be set']
    assert '"--enable-auto-tool-choice and --tool-call-parser to be set"' in source
    assert '"--tool-call-parser to be set"' in source
    for message in messages:
        assert "python scripts/server.py restart" in workshop.explain(_bad_request(message))


def test_an_unknown_model_and_an_unknown_route_get_different_fixes(vllm_server):
    c = workshop.client()
    with pytest.raises(openai.NotFoundError) as model:
        c.chat.completions.create(model="no-such-model", messages=HI, max_tokens=1)
    assert "use a model the server serves" in workshop.explain(model.value)
    with pytest.raises(openai.NotFoundError) as route:
        openai.OpenAI(base_url=vllm_server.root, api_key="EMPTY", max_retries=0).chat.completions.create(
            model="x", messages=HI, max_tokens=1)
    assert "ends in /v1" in workshop.explain(route.value)


def test_a_timeout_is_not_reported_as_a_server_that_is_down(vllm_server):
    """A client timeout (the real server, a request that cannot finish in 1 ms) gets the advice to
    send less, not to start a server that is running."""
    c = openai.OpenAI(base_url=workshop.base_url(), api_key=workshop.api_key(), max_retries=0, timeout=0.001)
    with pytest.raises(openai.APITimeoutError) as slow:
        c.chat.completions.create(model=workshop.model(), messages=HI, max_tokens=64)
    message = workshop.explain(slow.value)
    assert "did not answer in time" in message and "send less at once" in message
    assert workshop.START_HINT not in message



#: VLLM_BASE_URL values a learner types that httpx cannot use, and the URL the fix must give.
#: curl (the bash labs) takes the first two as http:// and the empty one as the default; the
#: Python labs said "no vLLM server answers" and to start a server that was running.
UNUSABLE_URLS = {"localhost:8000/v1": "http://localhost:8000/v1",
                 "127.0.0.1:8000/v1": "http://127.0.0.1:8000/v1",
                 "htp://localhost:8000/v1": "http://localhost:8000/v1",
                 "http//localhost:8000/v1": "http://localhost:8000/v1"}


@pytest.mark.parametrize("url", UNUSABLE_URLS)
def test_a_url_without_http_gets_the_url_with_it(url, monkeypatch):
    """A ``VLLM_BASE_URL`` without ``http://`` (found typing Module 1's labs with
    ``VLLM_BASE_URL=localhost:8000/v1``) gets the URL with it as the fix, not the advice to start
    a server; nothing is sent, so no server is needed. An empty one is the default, as in bash."""
    monkeypatch.setenv("VLLM_BASE_URL", url)
    with pytest.raises(workshop.WorkshopError) as error:
        workshop.served_models()
    message = str(error.value)
    assert f"fix: export VLLM_BASE_URL={UNUSABLE_URLS[url]}" in message, message
    assert workshop.START_HINT not in message, message
    with pytest.raises(openai.APIConnectionError) as lost:
        workshop.client().chat.completions.create(model="x", messages=HI, max_tokens=1)
    assert f"fix: export VLLM_BASE_URL={UNUSABLE_URLS[url]}" in workshop.explain(lost.value)
    monkeypatch.setenv("VLLM_BASE_URL", "")
    assert workshop.base_url() == workshop.DEFAULT_BASE_URL
    own = openai.OpenAI(base_url=os.environ.get("VLLM_BASE_URL", "x"), api_key="EMPTY", max_retries=0)
    with pytest.raises(workshop.WorkshopError) as empty:   # first_chat.py's own client
        workshop.served_models(own)
    assert "fix: unset VLLM_BASE_URL" in str(empty.value), empty.value


@pytest.mark.parametrize("url", ["htp://localhost:8000/v1", "http//localhost:8000/v1"])
def test_a_bash_lab_gets_the_url_with_http_too(url):
    """``labs/workshop.sh``: curl takes ``localhost:8000/v1`` as http://, but not a mistyped
    scheme, which was "the request ... failed (curl exit 1)" with the advice to start a server."""
    p = subprocess.run(["bash", "-c", "source labs/workshop.sh; ws_connect"], cwd=ROOT, text=True,
                       capture_output=True, timeout=60, env={**os.environ, "VLLM_BASE_URL": url})
    assert p.returncode == 1 and p.stdout == "", p
    assert p.stderr.count("error: ") == 1 and "fix: export VLLM_BASE_URL=http://localhost:8000/v1" in p.stderr, p.stderr


# ------------------------------------------------------------------ long waits are never silent

def test_waiting_prints_while_it_waits(capsys):
    import time

    with workshop.waiting("loading the model into this process", every=0.05):
        time.sleep(0.3)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "loading the model into this process ..."
    assert sum(line.startswith("  still loading: ") for line in lines) >= 3, lines
    assert re.fullmatch(r"loading the model into this process: done in \d+ s", lines[-1]), lines



def test_finish_without_vllms_engine_is_sys_exit():
    """``workshop.finish`` stops vLLM's engine, announced, only when this process runs one (the
    offline labs' tests run it for real); otherwise it is ``sys.exit``, atexit handlers and all."""
    with pytest.raises(SystemExit) as leaving:
        workshop.finish(3)
    assert leaving.value.code == 3


def model_loads() -> list[tuple[str, int]]:
    """``(lab, line number)`` of every ``= LLM(`` in the labs: a model loading into the lab's
    own process (25 s to minutes on a CPU)."""
    found = []
    for path in sorted((ROOT / "labs").rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"= LLM\(", line) and not line.lstrip().startswith((">>>", "...")):
                found.append((path.relative_to(ROOT).as_posix(), number))
    return found


def test_the_walk_finds_the_offline_labs():
    labs = {lab for lab, _ in model_loads()}
    assert {"labs/module1/offline_batch.py", "labs/module2/offline.py", "labs/module3/offline_tools.py"} <= labs


@pytest.mark.parametrize(("lab", "number"), model_loads())
def test_every_model_load_prints_progress(lab, number):
    """Each ``LLM(...)`` of a lab runs inside ``with workshop.waiting(...)``, which prints a line
    every 15 s until the model is loaded (the issue: about 4 silent minutes on a busy machine)."""
    lines = (ROOT / lab).read_text(encoding="utf-8").splitlines()
    above = lines[number - 2].strip()
    assert above.startswith("with workshop.waiting("), f"{lab}:{number}: {lines[number - 1].strip()}"


def test_busy_cores_reads_what_others_use_now(tmp_path, monkeypatch):
    """Two samples of /proc/stat one second apart: 150 of 200 ticks busy on 2 cores is 1.5 cores."""
    stat = tmp_path / "stat"
    samples = iter(["cpu  100 0 100 800 0 0 0 0 0 0\n", "cpu  200 0 150 850 0 0 0 0 0 0\n"])
    stat.write_text(next(samples))
    monkeypatch.setattr(workshop.time, "sleep", lambda s: stat.write_text(next(samples)))
    monkeypatch.setattr(workshop.os, "cpu_count", lambda: 2)
    assert workshop.busy_cores(stat=str(stat)) == pytest.approx(1.5)


def _bash(script: str) -> tuple[subprocess.CompletedProcess, float]:
    start = time.monotonic()
    p = subprocess.run(["bash", "-c", f"source labs/workshop.sh; {script}"], cwd=ROOT, capture_output=True,
                       text=True, timeout=60, stdin=subprocess.DEVNULL,
                       env={**os.environ, "WORKSHOP_PROGRESS_EVERY": "1"})
    return p, time.monotonic() - start


def test_ws_waiting_prints_while_it_waits():
    """``ws_waiting_start``/``ws_waiting_end`` of ``labs/workshop.sh``, the bash labs' ``waiting``:
    Module 5's bench_serve.sh left 21.6 s and 17.2 s of a silent terminal before each of vLLM's
    tables (second quiet walkthrough, 7 December 2026)."""
    p, _ = _bash('ws_waiting_start "measuring one thing"; sleep 2.5; ws_waiting_end; echo after')
    lines = p.stdout.splitlines()      # bash's SECONDS counts whole seconds: 1 s may read as 2
    assert lines[0] == "measuring one thing ..." and lines[-1] == "after", p.stdout
    assert [re.sub(r"\d+", "N", line) for line in lines[1:-1]] == [
        "  still measuring: N s", "  still measuring: N s", "measuring one thing: done in N s"], p.stdout


def test_ws_error_while_waiting_stops_the_ticker():
    """A lab that ends with ``ws_error`` in the middle leaves no ticker printing after it, and no
    ``sleep`` holding its output open (the caller would wait up to 15 s for the end of it)."""
    p, seconds = _bash('WORKSHOP_PROGRESS_EVERY=30 ws_waiting_start "measuring one thing"; sleep 1.5; ws_error "it broke" "fix it"')
    assert p.returncode == 1 and p.stdout == "measuring one thing ...\n" and seconds < 10, (p.stdout, seconds)
    assert p.stderr == "error: it broke\n  fix: fix it\n", p.stderr


def test_model_dir_refuses_what_vllm_could_not_load(tmp_path, monkeypatch):
    """A folder or an owner/name ID passes; anything else is a WorkshopError with its fix, before
    vLLM turns it into a traceback."""
    monkeypatch.setenv("WORKSHOP_MODEL_DIR", str(tmp_path))
    assert workshop.model_dir() == str(tmp_path)
    monkeypatch.setenv("WORKSHOP_MODEL_DIR", "Qwen/Qwen3-0.6B")
    assert workshop.model_dir() == "Qwen/Qwen3-0.6B"
    monkeypatch.setenv("WORKSHOP_MODEL_DIR", str(tmp_path / "no-model"))
    with pytest.raises(workshop.WorkshopError, match="fix: unset WORKSHOP_MODEL_DIR"):
        workshop.model_dir()
    monkeypatch.delenv("WORKSHOP_MODEL_DIR")
    monkeypatch.chdir(tmp_path)  # the default folder is relative to the workshop folder
    with pytest.raises(workshop.WorkshopError, match="fix: run the lab from the workshop folder"):
        workshop.model_dir()



def _run(lab: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, lab, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, stdin=subprocess.DEVNULL, env={**os.environ, **env})


@pytest.mark.parametrize(("lab", "setting"), [
    ("labs/module1/offline_batch.py", "WORKSHOP_MODEL_DIR"), ("labs/module2/offline.py", "WORKSHOP_MODEL_DIR"),
    ("labs/module1/entrypoints.py", None), ("labs/module2/ticket.py", None)])
def test_an_unknown_option_names_only_a_setting_the_lab_reads(lab, setting):
    """The fix of ``--model x`` named VLLM_BASE_URL in labs that never read it (a walkthrough of
    Modules 1 and 2; issue 21, misleading fixes): the offline labs read WORKSHOP_MODEL_DIR, the
    other two no setting at all."""
    p = _run(lab, "--model", "x")
    assert p.returncode == 2 and p.stderr.startswith("error: "), p.stderr
    assert "fix: run it without them" in p.stderr and "VLLM_BASE_URL" not in p.stderr, p.stderr
    assert (f"such as {setting}" in p.stderr) if setting else ("such as" not in p.stderr), p.stderr


@pytest.mark.parametrize("lab", ["labs/module1/offline_batch.py", "labs/module2/offline.py"])
def test_an_offline_lab_refuses_a_wrong_model_folder_with_one_error(lab, tmp_path):
    """A walkthrough set WORKSHOP_MODEL_DIR to a folder that does not exist: transformers' 40-line
    traceback ('Repo id must be in the form ...') and no fix (issue 21: one error and its fix)."""
    p = _run(lab, WORKSHOP_MODEL_DIR=str(tmp_path / "no-model"))
    assert p.returncode == 1 and "Traceback" not in p.stdout + p.stderr, p.stderr[-2000:]
    errors = [line for line in p.stderr.splitlines() if line.startswith("error: ")]
    assert errors == [f"error: WORKSHOP_MODEL_DIR={tmp_path / 'no-model'} is neither a model folder "
                      "nor a Hugging Face ID."], p.stderr[-2000:]
    assert "fix: unset WORKSHOP_MODEL_DIR" in p.stderr


# ------------------------------------------------------------- a request's wait in a terminal

def test_a_ticker_counts_in_a_terminal_and_wipes_its_line():
    screen = Terminal()
    with workshop.Ticker("waiting", after=0.2, out=screen):
        time.sleep(1.4)
    text = screen.getvalue()
    assert "\rwaiting ... 0 s" in text and "\rwaiting ... 1 s" in text, repr(text)
    assert text.endswith("\r\033[K"), repr(text)


def test_a_short_wait_and_a_pipe_show_nothing():
    screen = Terminal()
    with workshop.Ticker("waiting", after=5, out=screen):
        time.sleep(0.1)
    assert screen.getvalue() == ""
    pipe = io.StringIO()
    with workshop.Ticker("waiting", after=0, out=pipe):
        time.sleep(0.3)
    assert pipe.getvalue() == ""


def test_one_ticker_at_a_time_has_the_line():
    """A checkpoint's check that sends a request shows the check's line, not both in turn."""
    screen = Terminal()
    with workshop.Ticker("checking: x", after=0, out=screen):
        with workshop.Ticker("waiting for the server's answer", after=0, out=screen):
            time.sleep(1.2)
    text = screen.getvalue()
    assert "checking: x" in text and "waiting for the server" not in text, repr(text)


def _shown(text: str) -> list[str]:
    """The lines a terminal shows for ``text`` (``\\r``, ``\\033[K`` and ``\\n`` applied)."""
    lines, line, col = [], [], 0
    for part in re.split(r"(\r|\n|\033\[K)", text):
        if part == "\r":
            col = 0
        elif part == "\n":
            lines, line, col = [*lines, "".join(line)], [], 0
        elif part == "\033[K":
            del line[col:]
        else:
            line[col:col + len(part)] = part
            col += len(part)
    return [*lines, "".join(line)]


def test_what_a_lab_prints_while_a_ticker_counts_is_not_glued_to_the_count(monkeypatch):
    """Module 5's metrics_watch.py printed a table row each second while its 24 requests waited;
    in a terminal each row came after the count, 'waiting for the server's answer ... 14 s
    14.9  24  0  8.3%', and a waiting() line likewise ('... 6 s  still measuring: 15 s')."""
    screen = Terminal()
    monkeypatch.setattr(sys, "stdout", screen)
    with workshop.Ticker("waiting for the server's answer", after=0):
        time.sleep(1.3)
        print("   1.3        1        0      1.9%")
        with workshop.waiting("measuring x", every=1.1, announce=False):
            time.sleep(1.6)
    assert sys.stdout is screen
    shown = _shown(screen.getvalue())
    assert shown[:3] == ["   1.3        1        0      1.9%", "  still measuring: 1 s",
                         "measuring x: done in 2 s"], shown


def _in_a_terminal(code: str, timeout: float = 300) -> str:
    """Run ``python -c code`` with a pseudo-terminal as stdout and stderr (as a learner's
    terminal) and return all it wrote."""
    import pty

    master, slave = pty.openpty()
    p = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdin=subprocess.DEVNULL,
                         stdout=slave, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:   # EIO: the program ended and closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert p.wait(timeout=timeout) == 0, b"".join(chunks).decode(errors="replace")
    return b"".join(chunks).decode(errors="replace")


#: A request that keeps the CPU server busy for 4 s or more (80 tokens, ignore_eos, at its 21.6
#: tok/s); a faster server (an instructor's GPU) answers it sooner, and the tests below then skip,
#: as there is no wait to show.
SLOW = ("messages=[{'role': 'user', 'content': 'Tell a story.'}], max_tokens=80, temperature=0, "
        "extra_body={'ignore_eos': True}")


def _skip_if_answered_in_less_than(seconds: float, text: str) -> None:
    took = re.search(r"answered in ([0-9.]+) s", text)
    if took and float(took.group(1)) < seconds:
        pytest.skip(f"the server answered in {took.group(1)} s: no wait of {seconds} s to show")


def test_a_slow_request_shows_its_wait_in_a_terminal(vllm_server):  # noqa: ARG001 - the server
    """Walkthroughs at load 6 to 15 saw single requests take 15 to 52 s with nothing on the
    screen: in a terminal a line now counts the seconds, and is wiped before the next output."""
    text = _in_a_terminal(
        "import time, workshop; c = workshop.client(); m = workshop.model(c); t = time.monotonic()\n"
        f"c.chat.completions.create(model=m, {SLOW})\nprint(f'answered in {{time.monotonic() - t:.1f}} s')")
    _skip_if_answered_in_less_than(2.5, text)
    assert "\rwaiting for the server's answer ... 2 s" in text, repr(text[-400:])
    assert "\r\033[Kanswered" in text, repr(text[-400:])


def test_concurrent_requests_share_one_line(vllm_server):  # noqa: ARG001 - the server
    text = _in_a_terminal(
        "import asyncio, time, workshop\nasync def main():\n    c = workshop.async_client()\n"
        "    m = (await c.models.list()).data[0].id; t = time.monotonic()\n"
        f"    await asyncio.gather(*[c.chat.completions.create(model=m, {SLOW}) for _ in range(3)])\n"
        "    print(f'answered in {time.monotonic() - t:.1f} s')\nasyncio.run(main())")
    _skip_if_answered_in_less_than(2.5, text)
    assert "\rwaiting for the server's answer ... 2 s" in text, repr(text[-400:])
    assert text.count("\r\033[K") == 1 and "\r\033[Kanswered" in text, repr(text[-400:])


def test_a_failed_request_wipes_the_line_before_its_error(vllm_server):  # noqa: ARG001 - the server
    """A request that times out after the line appeared: the line is gone before the error."""
    text = _in_a_terminal(
        "import openai, time, workshop\nc = workshop.client(timeout=2.5); m = workshop.model(c)\n"
        f"t = time.monotonic()\ntry:\n    c.chat.completions.create(model=m, {SLOW})\n"
        "    print(f'answered in {time.monotonic() - t:.1f} s')\n"
        "except openai.APITimeoutError:\n    print('timed out')")
    _skip_if_answered_in_less_than(2.5, text)
    assert "\rwaiting for the server's answer ... 2 s" in text, repr(text[-400:])
    assert "\r\033[Ktimed out" in text, repr(text[-400:])


# ---------------------------------------------------------- a lab that is stopped stops its server

STOPPED_LAB = """
import sys, time, workshop, workshop_server
def main():
    srv = workshop_server.Server(sys.argv[1], command=["sleep", "300"])
    srv.start()
    try:
        print(srv.proc.pid, flush=True)
        time.sleep(300)
    finally:
        srv.stop()
workshop.run(main)
"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_lab_stopped_by_a_signal_stops_the_server_it_started(sig, tmp_path):
    """A walkthrough's ``timeout 120 python labs/module5/step_profile.py`` left the lab's vLLM
    server running (SIGTERM ended Python before its ``finally``). Now SIGTERM and SIGHUP end a
    lab as Ctrl+C (SIGINT) does: the server it started is stopped; no traceback."""
    import workshop_server as ws

    lab = tmp_path / "lab.py"
    lab.write_text(STOPPED_LAB)
    def as_in_a_terminal() -> None:
        # pytest-xdist's workers ignore SIGINT, and a child inherits what is ignored (a lab under
        # nohup ignores SIGHUP the same way); a learner's shell leaves all three at the default.
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, signal.SIG_DFL)

    p = subprocess.Popen([sys.executable, str(lab), f"signal-test-{os.getpid()}-{sig}"], cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT / "labs")}, preexec_fn=as_in_a_terminal)
    group = int(p.stdout.readline())
    assert ws.group_alive(group)
    p.send_signal(sig)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 128 + sig, (p.returncode, err)
    assert "Traceback" not in err, err
    assert not ws.group_alive(group), "the lab's server was left running"
