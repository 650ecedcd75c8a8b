"""Module 4's promises, checked with the real parts: the agent against the CPU vLLM server and real
MCP servers (ACME's, and two small servers written here to crash and to hang), ACME's SQLite file
compared byte for byte, the audit log read back, and the interactive prompt answered through a
pseudo-terminal as a person would."""
from __future__ import annotations

import hashlib
import json
import os
import pty
import select
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support import ROOT, load_lab  # noqa: E402
AGENT = "labs/module4/agent.py"
REFUND = "Please refund 20 dollars on order ACME-1046, the hose leaks."


def agent(*args: str, timeout: float = 300, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, AGENT, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, env={**os.environ, **env})


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def rows(path: Path) -> dict[str, list[tuple]]:
    """Every table's rows, for comparing two states of a database."""
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall()) for t in tables}  # noqa: S608


def events(audit: Path) -> list[dict]:
    return [json.loads(line) for line in audit.read_text().splitlines()]


def test_a_denied_write_leaves_the_database_byte_identical(vllm_server, db, tmp_path):
    before = sha256(db)
    p = agent("--servers", "acme", "--tool", "acme__issue_refund", "--audit", str(tmp_path / "a.jsonl"),
              "--decisions", "labs/module4/decisions/refund_denied.json", REFUND)
    assert p.returncode == 0, p.stderr
    assert "decision: deny (decisions file)" in p.stdout
    assert sha256(db) == before


def test_an_approved_write_changes_exactly_the_expected_row(vllm_server, db, tmp_path):
    """The person edits the arguments and confirms the elicitation: one refund row, exactly the
    edited one; every other table as it was. The audit log has every step, in order."""
    before = rows(db)
    audit = tmp_path / "a.jsonl"
    p = agent("--servers", "acme", "--tool", "acme__issue_refund", "--audit", str(audit),
              "--decisions", "labs/module4/decisions/refund_edited.json", REFUND)
    assert p.returncode == 0, p.stderr
    after = rows(db)
    assert {t for t in after if after[t] != before[t]} == {"refunds"}
    new = [r for r in after["refunds"] if r not in before["refunds"]]
    assert len(new) == 1 and new[0][1:4] == ("ACME-1046", 2000, "The garden hose leaks")
    kinds = [(e["event"], e.get("by")) for e in events(audit)]
    assert kinds[:4] == [("proposal", None), ("decision", "decisions file: edited"),
                         ("elicitation", "decisions file"), ("result", None)]


def test_no_decision_means_denied_and_audited(vllm_server, db, tmp_path):
    """Without a terminal and without a decisions file, a write is denied, never approved."""
    audit, before = tmp_path / "a.jsonl", sha256(db)
    p = agent("--servers", "acme", "--tool", "acme__create_ticket", "--audit", str(audit),
              "Open a ticket: jane@example.com's rake arrived broken.")
    assert p.returncode == 0 and "decision: deny (no decision given: denied)" in p.stdout
    assert sha256(db) == before
    recorded = events(audit)
    assert [e["event"] for e in recorded] == ["proposal", "decision"]
    assert recorded[1]["action"] == "deny"


@pytest.mark.parametrize("content, message", [
    ("{not json", "is not valid JSON"),
    ('{"tool": "x"}', "must hold a JSON list"),
    ('[{"tool": "acme__issue_refund", "action": "maybe"}]', "entry 0 of"),
    ('[{"tool": "acme__issue_refund", "action": "edit"}]', "entry 0 of"),
])
def test_a_malformed_decisions_file_is_refused_before_anything_runs(tmp_path, content, message):
    bad = tmp_path / "decisions.json"
    bad.write_text(content)
    p = agent("--servers", "acme", "--decisions", str(bad), "--audit", str(tmp_path / "a.jsonl"), "hi")
    assert p.returncode == 2 and message in p.stderr and "fix:" in p.stderr
    assert "Traceback" not in p.stderr and not (tmp_path / "a.jsonl").exists()


def test_an_unknown_server_name_gets_the_names_it_can_use(tmp_path):
    """--servers nope: the fix names the servers of servers.json, not "correct the file" (the file
    was right; the option was wrong; seen in the walkthrough of 7 December 2026)."""
    p = agent("--servers", "acme,nope", "--audit", str(tmp_path / "a.jsonl"), "hi")
    assert p.returncode == 2 and "Traceback" not in p.stderr, p.stderr
    assert "error: no server named nope in labs/module4/servers.json; it has acme, time, files" in p.stderr
    assert "fix: name servers it has: --servers acme,time,files" in p.stderr, p.stderr
    assert "correct the file" not in p.stderr


# ------------------------------------------------------------------ servers that misbehave

MISBEHAVING = '''
import os, time
from mcp.server import MCPServer
mcp = MCPServer("misbehaving", log_level="ERROR")

@mcp.tool()
def crash() -> str:
    """Stops the server process at once."""
    os._exit(3)

@mcp.tool()
def hang() -> str:
    """Never answers in time."""
    time.sleep(60)
    return "late"

mcp.run()
'''


@pytest.fixture
def misbehaving(tmp_path) -> Path:
    """A config with one small MCP server whose tools crash it or hang (both auto-approved)."""
    server = tmp_path / "misbehaving.py"
    server.write_text(MISBEHAVING)
    config = tmp_path / "servers.json"
    config.write_text(json.dumps({"servers": {"bad": {"command": "python", "args": [str(server)]}},
                                  "policy": {"default": "auto"}}))
    return config


@pytest.mark.parametrize("tool, expected", [("bad__crash", "the call failed"),
                                            ("bad__hang", "the call failed")])
def test_a_crashed_or_hanging_server_ends_the_call_cleanly(vllm_server, misbehaving, tmp_path, tool, expected):
    audit = tmp_path / "a.jsonl"
    t0 = time.monotonic()
    p = agent("--config", str(misbehaving), "--tool", tool, "--timeout", "3", "--max-steps", "1",
              "--audit", str(audit), "Use the tool.")
    assert time.monotonic() - t0 < 120
    assert p.returncode == 0, p.stderr[-2000:]
    assert expected in p.stdout and "Traceback" not in p.stdout + p.stderr
    result = [e for e in events(audit) if e["event"] == "result"]
    assert result and result[0]["is_error"] is True


def test_a_server_that_does_not_start_gets_one_error_and_its_fix(tmp_path):
    config = tmp_path / "servers.json"
    config.write_text(json.dumps({"servers": {"gone": {"command": "python", "args": ["-c", "pass"]}}}))
    p = agent("--config", str(config), "--list")
    assert p.returncode == 1 and "error: the MCP server 'gone' did not start" in p.stderr
    assert "fix: run its command by hand" in p.stderr and "Traceback" not in p.stderr


def test_unknown_tools_and_broken_arguments_go_back_to_the_model(db, tmp_path):
    """``run_call`` on proposals no server can run: a tool message with the error, audited."""
    import asyncio
    from types import SimpleNamespace

    lab = load_lab("labs/module4/agent.py")

    audit = lab.AuditLog(tmp_path / "a.jsonl")
    approver = lab.Approver({"default": "auto"}, None, audit, interactive=False)

    async def go():
        current = {"server": "acme"}
        async with lab.ClientSessionGroup(component_name_hook=lambda t, i: f"{current['server']}__{t}") as group:
            await lab.connect(group, ["acme"], json.loads(lab.CONFIG.read_text()), approver, current, 30)
            calls = [SimpleNamespace(id="c1", function=SimpleNamespace(name="acme__drop_tables", arguments="{}")),
                     SimpleNamespace(id="c2", function=SimpleNamespace(name="acme__get_customer", arguments="[1]")),
                     SimpleNamespace(id="c3", function=SimpleNamespace(
                         name="acme__get_order_status", arguments='{"order_id": "1; DROP TABLE orders"}'))]
            return [await lab.run_call(group, approver, c, 30) for c in calls]

    before = sha256(Path(os.environ["ACME_DB"]))
    replies = asyncio.run(go())
    errors = [json.loads(r["content"])["error"] for r in replies]
    assert "unknown tool" in errors[0] and "not a JSON object" in errors[1]
    assert "String should match pattern" in errors[2]
    assert sha256(Path(os.environ["ACME_DB"])) == before
    assert [e["event"] for e in events(tmp_path / "a.jsonl")].count("proposal") == 3


# ------------------------------------------------------------------ a person at the terminal


def run_in_terminal(args: list[str], answers: list[tuple[str, str]], timeout: float = 300) -> str:
    """Run the agent in a pseudo-terminal; when the output shows each prompt, type its answer."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, AGENT, *args], cwd=ROOT, stdin=slave, stdout=slave,
                            stderr=slave, env={**os.environ, "COLUMNS": "100"}, close_fds=True)
    os.close(slave)
    seen, deadline = "", time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1)
            if ready:
                try:
                    chunk = os.read(master, 4096).decode(errors="replace")
                except OSError:  # the agent closed its terminal: it is done
                    break
                seen += chunk
                while answers and answers[0][0] in seen:
                    prompt, answer = answers.pop(0)
                    seen = seen.replace(prompt, f"<{prompt}>", 1)
                    os.write(master, (answer + "\n").encode())
            elif proc.poll() is not None:
                break
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    return seen


def test_a_person_edits_a_call_then_declines_the_confirmation(vllm_server, db, tmp_path):
    """In a terminal the agent asks; the person edits the amount, then declines the refund's
    own confirmation (elicitation): nothing is paid, and the audit log says who decided."""
    audit, before = tmp_path / "a.jsonl", sha256(db)
    edited = json.dumps({"order_id": "ACME-1046", "amount_cents": 1500, "reason": "Leaking hose"})
    screen = run_in_terminal(["--servers", "acme", "--tool", "acme__issue_refund", "--audit", str(audit), REFUND],
                             [("[a]pprove, [d]eny or [e]dit?", "e"), ("new arguments (JSON)", edited),
                              ("confirm?", "n")])
    assert "decision: approve (person: edited)" in screen, screen[-2000:]
    assert "confirm:  decline (person)" in screen and "not confirmed" in screen
    assert sha256(db) == before
    decision = [e for e in events(audit) if e["event"] == "decision"][0]
    assert decision["by"] == "person: edited" and decision["arguments"]["amount_cents"] == 1500


def test_an_answer_cut_short_says_so(vllm_server, tmp_path):
    """The agent printed the first 200 characters of the model's answer and nothing more: the
    Tokyo question's answer ended in "This is", the order lookup's in "- Items: [GLOV", as if the
    model had stopped there (Module 4 walkthrough, every run at temperature 0). A cut answer now
    says where it was cut; an answer that is not cut is at most 200 characters."""
    p = agent("--servers", "time", "--tool", "time__get_current_time", "--audit",
              str(tmp_path / "a.jsonl"), "What time is it in Tokyo?")
    assert p.returncode == 0, p.stderr
    answer = p.stdout.split("answer:   ", 1)[1].split("\naudit:", 1)[0]
    cut = answer.endswith(("characters)", "tokens)"))
    assert cut or len(answer) < 200, answer   # the old cut left exactly 200 characters, unmarked
    lab = load_lab("labs/module4/agent.py")
    assert lab.answer_line("x" * 250, "stop", 100) == "x" * 200 + " ... (the agent shows the first 200 characters)"
    assert lab.answer_line(" short ", "length", 100) == "short ... (the reply reached its limit of 100 tokens)"
    assert lab.answer_line(None, "stop", 100) == ""
