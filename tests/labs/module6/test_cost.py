"""labs/module6/cost.py: the process-group memory sum and the server's endpoint, read from a fake
``/proc`` laid out as Linux does; the speed verdict's noise rule; bad input gets one ``error:`` and
its ``fix:``. The lab's run against real servers is the page's block (docs/en/module6.md, section 5).
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from support import ROOT, load_lab

cost = load_lab("labs/module6/cost.py")


def fake_process(proc: Path, pid: int, pgid: int, rss_kb: int, pss_kb: int, state: str = "S",
                 comm: str = "python") -> None:
    d = proc / str(pid)
    d.mkdir(parents=True)
    # Fields after the name: state, ppid, pgrp, ...; the name may hold spaces and parentheses.
    (d / "stat").write_text(f"{pid} ({comm}) {state} 1 {pgid} {pgid} 0 -1\n")
    (d / "status").write_text(f"Name:\t{comm}\nVmPeak:\t  999999 kB\nVmRSS:\t {rss_kb} kB\n")
    (d / "smaps_rollup").write_text(f"00400000-ffffffff ---p 00000000 00:00 0 [rollup]\n"
                                    f"Rss:  {rss_kb} kB\nPss:  {pss_kb} kB\n")


def test_group_memory_sums_the_group_only(tmp_path):
    fake_process(tmp_path, 100, 100, 1024, 512)                              # the leader
    fake_process(tmp_path, 101, 100, 2048, 1536, comm="VLLM::EngineCore (x)")  # ')' in the name
    fake_process(tmp_path, 102, 100, 4096, 4096, state="Z")                  # a zombie: not counted
    fake_process(tmp_path, 200, 200, 8192, 8192)                             # another group
    (tmp_path / "self").mkdir()
    assert cost.group_members(100, tmp_path) == [100, 101]
    assert cost.group_memory(100, tmp_path) == {"processes": 2, "rss_mib": 3.0, "pss_mib": 2.0}
    assert cost.group_memory(300, tmp_path)["processes"] == 0


def test_adapters_are_read_from_the_leaders_command_line(tmp_path):
    (tmp_path / "100").mkdir()
    argv = ["vllm", "serve", "m", "--enable-lora", "--lora-modules", "a=/x/a", "b=/x/b", "--max-loras", "3"]
    (tmp_path / "100" / "cmdline").write_bytes("\0".join(argv).encode() + b"\0")
    assert cost.adapters_of(100, tmp_path) == ["a", "b"]
    assert cost.adapters_of(999, tmp_path) == []


def test_endpoint_comes_from_the_leaders_command_line(tmp_path):
    (tmp_path / "100").mkdir()
    argv = ["vllm", "serve", ".workshop/models/m", "--served-model-name", "M", "--host", "0.0.0.0",
            "--port", "8123", "--api-key", "k", "--enable-lora"]
    (tmp_path / "100" / "cmdline").write_bytes("\0".join(argv).encode() + b"\0")
    assert cost.endpoint_of(100, tmp_path) == ("http://127.0.0.1:8123/v1", "k", "M")
    (tmp_path / "101").mkdir()
    (tmp_path / "101" / "cmdline").write_bytes(b"vllm\0serve\0some/model\0")
    assert cost.endpoint_of(101, tmp_path) == ("http://127.0.0.1:8000/v1", "EMPTY", "some/model")


def test_speed_difference_inside_the_rounds_spread_is_noise():
    # rounds 100 and 110 spread by about 10 %: a 5 % difference is noise, a 30 % one is not
    assert "within the noise" in cost.speed_verdict([100.0, 110.0], [110.0, 110.0])
    slower = cost.speed_verdict([70.0, 71.0], [100.0, 101.0])
    assert slower.startswith("-30% tokens/s") and "noise" not in slower


def run_lab(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "labs/module6/cost.py", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env=dict(os.environ), stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("args, status, says", [
    (["--bogus"], 2, "--bogus"),
    (["--requests", "0"], 1, "must be 1 or more"),
    (["no-such-server"], 1, "no running server named"),
])
def test_bad_input_gets_one_error_and_its_fix(args, status, says):
    p = run_lab(*args)
    assert p.returncode == status and "Traceback" not in p.stderr, p.stderr
    assert p.stderr.count("error: ") == 1 and "\n  fix: " in p.stderr and says in p.stderr, p.stderr
