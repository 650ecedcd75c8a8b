"""The session's servers (``tests/plugins/servers.py``): ``--collect-only`` starts none, and an
interrupted run leaves none behind. Each case runs pytest in a child process with a run folder of
its own (``WORKSHOP_RUN_DIR``) and a workshop server URL on a free port, so that it cannot touch
this session's servers."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import workshop_server as ws
from support import ROOT


def as_in_a_terminal() -> None:
    """The child's SIGINT as a terminal's foreground job has it. A suite started in the background
    (``bash .ci/run &``) inherits SIGINT ignored, which Python then keeps: the child would not
    see the Ctrl+C that the SIGINT case sends."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def child_pytest(tmp_path: Path, *args: str) -> tuple[subprocess.Popen, str]:
    port = ws.free_port()
    env = {**os.environ, "WORKSHOP_RUN_DIR": str(tmp_path), "VLLM_BASE_URL": f"http://localhost:{port}/v1",
           "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    for name in ("WORKSHOP_TEST_SESSION", "WORKSHOP_KEYED_URL", "PYTEST_XDIST_WORKER",
                 "PYTEST_XDIST_WORKER_COUNT", "PYTEST_CURRENT_TEST", "WORKSHOP_PHASES"):
        env.pop(name, None)
    proc = subprocess.Popen([sys.executable, "-m", "pytest", "-p", "no:xdist", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True, preexec_fn=as_in_a_terminal)
    return proc, f"http://127.0.0.1:{port}"


def test_collect_only_starts_no_server(tmp_path):
    proc, root = child_pytest(tmp_path, "--collect-only", "-q", "docs/en/module1.md", "tests/labs/test_lab_errors.py")
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out
    assert "module1.md" in out
    assert not list(tmp_path.glob("*.pid")) and not ws.port_open(root)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_run_leaves_no_server(tmp_path, sig):
    """Ctrl+C (SIGINT) or SIGTERM to pytest while its server loads: the run ends and the server's
    whole process group is gone."""
    proc, root = child_pytest(tmp_path, "-q", "docs/en/module1.md")
    pid_file = tmp_path / "server.pid"
    deadline = time.monotonic() + 120
    while not pid_file.exists():
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()[0]
        time.sleep(0.5)
    pgid = int(pid_file.read_text())
    time.sleep(3)   # the server is loading now
    os.kill(proc.pid, sig)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode != 0
    assert not ws.group_alive(pgid), f"the server's processes outlived the run:\n{out[-2000:]}"
    assert not pid_file.exists()


def test_the_session_stops_its_page_servers_and_no_one_elses(tmp_path, monkeypatch):
    """A page's server left running by a failure is stopped at the session's end; a server that a
    person or another session started on the same machine meanwhile is not (a stand-in process,
    ``sleep``, is enough: the lifecycle and the owner files are what is tested)."""
    from plugins import servers

    monkeypatch.setattr(ws, "RUN_DIR", tmp_path)
    monkeypatch.setenv("WORKSHOP_TEST_SESSION", "this-session")
    ours = ws.Server("page-server", command=["sleep", "60"]).start()
    monkeypatch.setenv("WORKSHOP_TEST_SESSION", "another-session")
    theirs = ws.Server("someone-elses", command=["sleep", "60"]).start()
    monkeypatch.delenv("WORKSHOP_TEST_SESSION")
    by_hand = ws.Server("by-hand", command=["sleep", "60"]).start()
    monkeypatch.setenv("WORKSHOP_TEST_SESSION", "this-session")
    try:
        assert servers.stop_session_servers() == ["page-server"]
        assert not ws.group_alive(ours.proc.pid)
        assert ws.group_alive(theirs.proc.pid) and ws.group_alive(by_hand.proc.pid)
    finally:
        for srv in (ours, theirs, by_hand):
            srv.stop(grace=1)
