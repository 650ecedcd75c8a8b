"""Module 3's labs beyond what its page runs: the parser table's check fails on a parser vLLM does
not have, and the round trip's loop answers a reply with two calls (which the tiny model never
writes)."""
from __future__ import annotations

import json
import os
from types import SimpleNamespace

from support import load_lab


def test_parser_table_check_fails_on_a_missing_parser(capsys):
    parsers = load_lab("labs/module3/parsers.py")
    parsers.PAIRS.append(("Imaginary", "nobody/imaginary-7b", "no_such_parser", "none"))
    try:
        assert parsers.main() == 1
    finally:
        parsers.PAIRS.pop()
    out, err = capsys.readouterr()
    assert "MISSING" in out
    assert err.startswith("error: 1 of the table's") and err.count("error:") == 1 and "fix:" in err, err
    # Importing vLLM's parsers takes up to a minute on two cores: the first line says so.
    assert out.splitlines()[0] == "importing vLLM's tool parsers ...", out[:200]


def test_the_loop_answers_every_call_of_a_reply(tmp_path, monkeypatch):
    """Two calls in one reply (a larger model writes them): one tool message per call id, in
    order, with the real results from a fresh database."""
    monkeypatch.setenv("ACME_DB", str(tmp_path / "acme.db"))
    round_trip = load_lab("labs/module3/round_trip.py")
    calls = [SimpleNamespace(id=f"call_{i}", function=SimpleNamespace(name="get_order_status",
                                                                      arguments=json.dumps({"order_id": o})))
             for i, o in enumerate(["ACME-1042", "ACME-1044"])]
    messages = round_trip.run_tool_calls(calls)
    assert [m["tool_call_id"] for m in messages] == ["call_0", "call_1"]
    statuses = [json.loads(m["content"])["status"] for m in messages]
    assert statuses == ["shipped", "placed"]
    assert os.environ["ACME_DB"] == str(tmp_path / "acme.db")


def test_grammar_latency_concludes_only_outside_the_noise():
    """The lab's conclusion ("paid for compiling") only when the first request's extra time is
    larger than the later ones' spread; a run on the busy workshop machine (7 December 2026, load
    average 6 to 10) says "inside the noise" instead, as a negative difference always does."""
    judge = load_lab("labs/module3/grammar_latency.py").judge
    busy = judge([10488, 14708, 12188, 21104, 17252])
    assert "inside the noise" in busy and "paid for compiling" not in busy and "-5492 ms" in busy
    negative = judge([400, 961, 963, 963, 970])
    assert "-563 ms" in negative and "paid for compiling" not in negative
    assert "inside the noise" not in negative and "busier during the run" in negative
    # Seen on the busy machine: -22418 ms against a spread of 4761 ms was called "inside the noise".
    busier = judge([25445, 45379, 46112, 50140, 49612])
    assert "busier during the run" in busier and "inside the noise" not in busier
    quiet = judge([1300, 420, 410, 415, 425])
    assert "paid for compiling" in quiet and "+882 ms" in quiet


def test_the_round_trip_says_why_when_the_database_changed_more(tmp_path, monkeypatch, capsys):
    """Another program writes a ticket while the lab opens its own (seen on a shared machine:
    'tickets before: 4, after: 6'): one error that says so and how to avoid it, not a bare exit
    status 1 after a line of output that looks like success."""
    monkeypatch.setenv("ACME_DB", str(tmp_path / "acme.db"))
    round_trip = load_lab("labs/module3/round_trip.py")
    from acme.tools import call

    def converse(client, model, question, tools, choice):  # noqa: ARG001 - the lab's signature
        if "ticket" in question:
            for summary in ("Broken rake handle, opened by the lab", "Opened by another program"):
                call("create_ticket", {"customer_email": "jane@example.com", "category": "product",
                                       "priority": "low", "summary": summary, "order_id": "ACME-1042"})

    monkeypatch.setattr(round_trip, "converse", converse)
    monkeypatch.setattr(round_trip.workshop, "client", lambda: None)
    monkeypatch.setattr(round_trip.workshop, "model", lambda client: "m")
    try:
        round_trip.main()
    except round_trip.workshop.WorkshopError as exc:
        assert "another program wrote to" in str(exc) and "fix: " in str(exc)
    else:
        raise AssertionError("main() ended without an error: " + capsys.readouterr().out)
    assert "tickets before: 2, after: 4" in capsys.readouterr().out


def test_the_offline_lab_keeps_vllms_cpu_warnings_out():
    """offline_tools.py ran with VLLM_LOGGING_LEVEL=WARNING: five vLLM warnings about running on a
    CPU ('Enforce eager set ...', 'Triton is not installed ...', 'Model Runner V2 requires Triton
    ...') that its page never mentions, above the result. The offline labs of Modules 1 and 2 set
    ERROR (errors still show); so does this one, unless the learner sets it."""
    import subprocess
    import sys

    from support import ROOT

    probe = ("import os, runpy, sys; sys.argv = ['offline_tools.py', '--help']\n"
             "try: runpy.run_path('labs/module3/offline_tools.py', run_name='probe')\n"
             "except SystemExit: pass\n"
             "print(os.environ.get('VLLM_LOGGING_LEVEL'), os.environ.get('TORCH_CPP_LOG_LEVEL'))")
    env = {k: v for k, v in os.environ.items() if k not in ("VLLM_LOGGING_LEVEL", "TORCH_CPP_LOG_LEVEL")}
    p = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=120)
    assert p.stdout.split()[-2:] == ["ERROR", "ERROR"], p.stdout[-300:] + p.stderr[-300:]


def test_bad_calls_says_so_when_acme_db_cannot_be_created(tmp_path):
    """ACME_DB in a folder that cannot exist (a walkthrough typed /proc/nope/acme.db) ended
    bad_calls.py with a FileNotFoundError traceback; now one error and its fix, exit 1."""
    import subprocess
    import sys

    from support import ROOT

    for where in ("/proc/nope/acme.db", str(tmp_path)):  # no such folder; a directory
        env = {**os.environ, "ACME_DB": where}
        p = subprocess.run([sys.executable, "labs/module3/bad_calls.py"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 1, (where, p.stdout, p.stderr)
        assert "Traceback" not in p.stderr, p.stderr[-500:]
        assert p.stderr.count("error:") == 1 and "\n  fix: export ACME_DB=" in p.stderr, p.stderr


def test_the_offline_lab_names_a_missing_model_folder_before_loading_vllm(tmp_path):
    """WORKSHOP_MODEL_DIR pointing at no model: vLLM was imported first (45 s on the busy
    machine), then transformers' traceback ('Repo id must be in the form ...'); now one error and
    its fix (workshop.model_dir), before vLLM's import."""
    import subprocess
    import sys

    from support import ROOT

    env = {**os.environ, "WORKSHOP_MODEL_DIR": str(tmp_path / "no-model")}
    p = subprocess.run([sys.executable, "labs/module3/offline_tools.py"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 1, (p.stdout[-300:], p.stderr[-300:])
    assert "Traceback" not in p.stderr and "loading the model" not in p.stdout, p.stderr[-500:]
    assert p.stderr.startswith(f"error: WORKSHOP_MODEL_DIR={tmp_path / 'no-model'} is neither"), p.stderr
    assert p.stderr.count("error:") == 1 and "\n  fix: unset WORKSHOP_MODEL_DIR" in p.stderr


def test_the_no_server_labs_name_only_settings_they_read():
    """An unknown option's fix said 'its settings are environment variables, such as
    VLLM_BASE_URL' for labs that talk to no server: the parser table reads no setting, bad_calls
    reads ACME_DB, the offline lab WORKSHOP_MODEL_DIR (issue 21, misleading fixes)."""
    import subprocess
    import sys

    from support import ROOT

    for lab, setting in [("labs/module3/parsers.py", None), ("labs/module3/bad_calls.py", "ACME_DB"),
                         ("labs/module3/offline_tools.py", "WORKSHOP_MODEL_DIR")]:
        p = subprocess.run([sys.executable, lab, "--foo"], cwd=ROOT, capture_output=True,
                           text=True, timeout=120)
        assert p.returncode == 2 and p.stderr.count("error:") == 1, (lab, p.stderr)
        assert "VLLM_BASE_URL" not in p.stderr, (lab, p.stderr)
        assert (setting or "environment variables") in p.stderr or setting is None, (lab, p.stderr)
        if setting is None:
            assert "environment variables" not in p.stderr, (lab, p.stderr)

def test_grammar_latency_prints_each_request_as_it_comes(monkeypatch, capsys):
    """Five requests of 4 to 21 s each on the busy machine, and the lab printed nothing until the
    last one was back (28.7 s of silence in a walkthrough at load 5): each request's line now
    comes before the next request is sent."""
    lab = load_lab("labs/module3/grammar_latency.py")
    lines_before_each_request = []

    def create(**_):
        lines_before_each_request.append(capsys.readouterr().out.count("\n"))
        call = SimpleNamespace(function=SimpleNamespace(name="get_order_status",
                                                        arguments='{"order_id": "ACME-1042"}'))
        return SimpleNamespace(choices=[SimpleNamespace(message=SimpleNamespace(tool_calls=[call]))])

    fake = SimpleNamespace(chat=SimpleNamespace(completions=SimpleNamespace(create=create)))
    monkeypatch.setattr(lab.workshop, "client", lambda: fake)
    monkeypatch.setattr(lab.workshop, "model", lambda client: "SmolLM2-135M-Instruct")
    assert lab.main() == 0
    assert lines_before_each_request == [0, 1, 1, 1, 1], lines_before_each_request
    out = capsys.readouterr().out
    assert out.startswith("request 5 of 5: ") and "latency per request: " in out, out


def test_the_round_trip_bounds_the_answer(tmp_path, monkeypatch):
    """At temperature 0 the tiny model answered the ticket question with one sentence repeated
    until max_tokens, 256 tokens (37 s of waiting at load 5 in a walkthrough): the replies after
    the first call get ANSWER_TOKENS (128), the first one, which carries the call, keeps 256."""
    monkeypatch.setenv("ACME_DB", str(tmp_path / "acme.db"))
    round_trip = load_lab("labs/module3/round_trip.py")
    asked = []

    def create(**kwargs):
        asked.append(kwargs["max_tokens"])
        message = SimpleNamespace(tool_calls=None, content="An answer.")
        return SimpleNamespace(choices=[SimpleNamespace(message=message)])

    fake = SimpleNamespace(chat=SimpleNamespace(completions=SimpleNamespace(create=create)))
    assert round_trip.converse(fake, "m", "Where is my order ACME-1042?", [], "auto") == "An answer."
    call = SimpleNamespace(id="call_1", function=SimpleNamespace(
        name="get_order_status", arguments='{"order_id": "ACME-1042"}'))
    replies = iter([[call], None])

    def create_with_call(**kwargs):
        asked.append(kwargs["max_tokens"])
        calls = next(replies)
        message = SimpleNamespace(tool_calls=calls, content=None if calls else "Shipped.",
                                  model_dump=lambda include: {"role": "assistant", "content": None})
        return SimpleNamespace(choices=[SimpleNamespace(message=message)])

    fake.chat.completions.create = create_with_call
    round_trip.converse(fake, "m", "Where is my order ACME-1042?", [], "required")
    assert asked == [256, 256, round_trip.ANSWER_TOKENS] and round_trip.ANSWER_TOKENS <= 128, asked
