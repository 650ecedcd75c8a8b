"""``labs/module5/guidellm_sweep.sh`` when GuideLLM fails: one ``error: ... fix: ...`` line and
status 1, GuideLLM's traceback in ``run.log`` only, and no earlier sweep's reports left to be read
as this one's. In a suite run beside other pages, GuideLLM's first strategy finished no request
within its 15 s and the learner got GuideLLM's own traceback ("Invalid rates in sweep").

The sweep itself runs against the real server on the page (``docs/*/module5.md``); here a stand-in
``guidellm`` on ``PATH`` prints what the real one printed when it failed (the lab's handling of a
failure is this project's logic; the server it connects to first is the real one). It runs in a
folder of its own, whose ``labs`` is the project's, so that its reports never touch the page's.
"""
from __future__ import annotations

import os
import re
import subprocess

import pytest

from support import ROOT

FAILED_SWEEP = """\
echo "✔ Setup complete, starting benchmarks..."
echo "Benchmark 1 (synchronous): completed | successful=0 errored=0 incomplete=1" >&2
printf 'Traceback (most recent call last):\\n  File "sweep.py", line 101\\n%s\\n' "$1" >&2
exit 1
"""


def sweep(tmp_path, vllm_server, error: str) -> subprocess.CompletedProcess:
    fake = tmp_path / "bin" / "guidellm"
    fake.parent.mkdir()
    fake.write_text(f"#!/usr/bin/env bash\nset -- {error!r}\n{FAILED_SWEEP}")
    fake.chmod(0o755)
    (tmp_path / "labs").symlink_to(ROOT / "labs")
    env = {**os.environ, "PATH": f"{fake.parent}:{os.environ['PATH']}", "VLLM_BASE_URL": vllm_server.base_url}
    return subprocess.run(["bash", "labs/module5/guidellm_sweep.sh"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("error, message, fix", [
    ("RuntimeError: Invalid rates in sweep; aborting. Were there any successful requests?",
     "error: no request finished within a strategy's 15 s", "fix: run it when nothing else uses the server"),
    ("ValueError: something else", "error: guidellm failed: ValueError: something else",
     "fix: read .workshop/bench/guidellm/run.log"),
])
def test_a_failed_sweep_is_one_error_and_its_traceback_stays_in_the_log(tmp_path, vllm_server, error, message, fix):
    reports = tmp_path / ".workshop" / "bench" / "guidellm"
    reports.mkdir(parents=True)
    (reports / "benchmarks.json").write_text("{}")   # the last sweep's
    p = sweep(tmp_path, vllm_server, error)
    assert p.returncode == 1
    output = p.stdout + p.stderr
    assert "Benchmark 1 (synchronous): completed" in output   # GuideLLM's progress still shown
    assert "Traceback" not in output and p.stderr.count("error: ") == 1, output
    assert message in p.stderr and fix in p.stderr, p.stderr
    assert "Traceback" in (reports / "run.log").read_text()
    assert not list(reports.glob("benchmarks.*"))


def test_the_sweeps_constant_rates_are_as_the_page_says():
    """The page said the constant rates lie "between" synchronous and throughput; the quick sweep of
    the quiet walkthrough (7 December 2026) had one only, constant@2.13, at throughput's own 2.13
    req/s. The recorded sweep's rates: evenly spaced above the synchronous rate, the last at the
    throughput strategy's rate (GuideLLM's sweep), which the page now says in both languages."""
    rows = {m[1]: float(m[2]) for m in re.finditer(r"^(\S+)\s+([0-9.]+)\s", (ROOT / "labs/module5/record/slo.txt")
                                                   .read_text(), re.M) if m[1] != "strategy"}
    rates = sorted(float(name.split("@")[1]) for name in rows if name.startswith("constant@"))
    step = (rows["throughput"] - rows["synchronous"]) / len(rates)
    assert rates == pytest.approx([rows["synchronous"] + step * (i + 1) for i in range(len(rates))], abs=0.011)
    assert rates[-1] == pytest.approx(rows["throughput"], abs=0.011)
    assert "the last at the rate the throughput strategy reached" in " ".join((ROOT / "docs/en/module5.md").read_text().split())
    assert "最后一个就是 throughput 策略达到的速率" in (ROOT / "docs/zh/module5.md").read_text()
