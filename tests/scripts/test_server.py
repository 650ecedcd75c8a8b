"""The one server lifecycle (``labs/workshop_server.py``) and its command line (``scripts/server.py``):
a taken port, a server that exits at start, the stop that reaches the whole process group."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time

import pytest

import workshop_server as ws
from support import ROOT


def test_port_taken_by_something_else():
    """scripts/server.py refuses a port another program holds, and suggests a free one."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        p = subprocess.run([sys.executable, "scripts/server.py", "start"], cwd=ROOT,
                           env={**os.environ, "VLLM_PORT": str(port)},
                           capture_output=True, text=True, timeout=60)
        suggested = int(re.search(r"VLLM_PORT=(\d+)", p.stderr)[1])
        assert suggested != port
        with socket.socket() as probe:  # the suggestion is free: it can be bound
            probe.bind(("127.0.0.1", suggested))
    assert p.returncode == 1
    assert "is taken" in p.stderr and f"VLLM_BASE_URL=http://localhost:{suggested}/v1" in p.stderr


@pytest.mark.parametrize("args", [["start", "--name", "embeddings", "--bogus"], ["strat"], []])
def test_bad_arguments_are_one_error_with_its_fix(args):
    """A mistyped option or action printed argparse's usage lines and 'server.py: error: ...',
    not the labs' error/fix (found walking the API guide, which types server.py)."""
    p = subprocess.run([sys.executable, "scripts/server.py", *args], cwd=ROOT, capture_output=True,
                       text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert p.returncode == 2 and p.stdout == "", (p.returncode, p.stdout, p.stderr)
    lines = p.stderr.splitlines()
    assert len(lines) == 2 and lines[0].startswith("error: ") and lines[1].startswith(
        "  fix: python scripts/server.py "), p.stderr


def test_a_server_that_exits_at_start_fails_with_its_log_and_a_fix(tmp_path):
    """The process exits before /health: wait() raises at once with the log's tail and the fix
    for the problem it shows, and leaves no PID file."""
    srv = ws.Server("test-exits", command=["bash", "-c", "echo 'OSError: [Errno 98] Address already in use'; exit 3"],
                    log=tmp_path / "exits.log")
    srv.start()
    t0 = time.monotonic()
    with pytest.raises(ws.ServerError) as err:
        srv.wait(timeout=60)
    assert time.monotonic() - t0 < 10
    assert "exited with code 3" in str(err.value) and "Address already in use" in str(err.value)
    assert "fix: the port is taken" in str(err.value)
    assert not srv.pid_file.exists()


def group(pgid: int) -> list[str]:
    """The live (not zombie) processes of a process group, as ``ps`` sees them."""
    out = subprocess.run(["ps", "-o", "stat=,pid=", "-g", str(pgid)], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if line.strip() and not line.strip().startswith("Z")]


def test_stop_reaches_the_whole_process_group_even_when_it_ignores_sigterm(tmp_path):
    """A server whose processes ignore SIGTERM (vLLM's shutdown can hang) is killed after the
    grace period, children included; a server that never answers /health times out."""
    script = "trap '' TERM; sleep 300 & sleep 300 & wait"
    srv = ws.Server("test-stubborn", command=["bash", "-c", script], log=tmp_path / "stubborn.log", grace=2)
    srv.start()
    time.sleep(0.5)
    assert len(group(srv.proc.pid)) == 3, "bash and two sleeps"
    t0 = time.monotonic()
    with pytest.raises(ws.ServerError, match="not healthy after 1 s"):
        srv.wait(timeout=1)   # wait() stops it on the way out
    assert group(srv.proc.pid) == [] and time.monotonic() - t0 < 15
    assert ws.named("test-stubborn").pid() is None


def test_the_profile_is_the_one_definition_of_the_flags():
    """Every server the workshop starts goes through workshop_server: no lab, script or test
    plugin starts serve_cpu.sh or a `vllm serve` process by itself (test files may still write
    such a command line as data, e.g. a fake /proc entry)."""
    allowed = {"labs/workshop_server.py", "labs/serve/serve_cpu.sh", "labs/container/Containerfile"}
    places = [*(ROOT / "labs").rglob("*"), *(ROOT / "scripts").rglob("*"), *(ROOT / "tests" / "plugins").rglob("*.py"),
              ROOT / "tests" / "conftest.py"]
    offenders = []
    for path in sorted(places):
        rel = path.relative_to(ROOT).as_posix()
        if not path.is_file() or rel in allowed or "__pycache__" in rel:
            continue
        text = path.read_text(errors="replace")
        if re.search(r"Popen\([^)]*serve_cpu\.sh|\[\"bash\", \"labs/serve/serve_cpu\.sh\"|\"vllm\", \"serve\"", text):
            offenders.append(rel)
    assert not offenders, f"start servers through labs/workshop_server.py: {offenders}"
