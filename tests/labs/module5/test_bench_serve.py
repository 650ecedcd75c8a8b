"""``labs/module5/bench_serve.sh``: what the page says of an output line that looks wrong, and bad
settings.

``vllm bench serve`` prints ``Peak concurrent requests`` above ``Maximum request concurrency``
(2 at 1, 16 at 8, in the record and in the quiet walkthrough of 7 December 2026), which the page
did not explain. vLLM 0.32 (``vllm/benchmarks/serve.py``) counts, per one-second bucket, every
request active during it; the page now says so, in both languages, and the record still shows it.
"""
from __future__ import annotations

import os
import re
import subprocess

import pytest

from support import ROOT


def test_the_record_shows_a_peak_above_the_cap():
    text = (ROOT / "labs/module5/record/bench_serve.txt").read_text()
    caps = [int(c) for c in re.findall(r"^Maximum request concurrency:\s+(\d+)", text, re.M)]
    peaks = [float(p) for p in re.findall(r"^Peak concurrent requests:\s+([0-9.]+)", text, re.M)]
    assert caps == [1, 8] and len(peaks) == 2
    assert all(cap < peak <= 2 * cap for cap, peak in zip(caps, peaks)), (caps, peaks)


@pytest.mark.parametrize("lang, why", [("en", "busiest one-second window"), ("zh", "最繁忙的那一秒")])
def test_the_page_explains_the_peak(lang, why):
    text = (ROOT / "docs" / lang / "module5.md").read_text(encoding="utf-8")
    assert "`Peak concurrent requests`" in text and why in text.replace("\n", " ")



@pytest.mark.parametrize("env, fix", [
    ({"BENCH_OUTPUT_TOKENS": "abc"}, "fix: unset BENCH_OUTPUT_TOKENS (32), or give a whole number"),
    ({"WORKSHOP_MODEL_DIR": "/nonexistent"}, "fix: unset WORKSHOP_MODEL_DIR, or point it at the model's folder"),
])
def test_a_bad_setting_is_one_error_before_anything_runs(env, fix):
    """The second quiet walkthrough (7 December 2026) set these two wrong: vllm bench serve ran,
    failed after its 10 s import, and the lab's error quoted the last 3 lines of its log (a
    "Triton is installed" notice and argparse's usage; or a traceback's frame). Now each is checked
    first: one error, its fix, no traceback, exit status 1, nothing measured."""
    p = subprocess.run(["bash", "labs/module5/bench_serve.sh", "1"], cwd=ROOT, capture_output=True, text=True,
                       timeout=60, stdin=subprocess.DEVNULL, env={**os.environ, **env})
    assert p.returncode == 1 and p.stdout == "", p.stdout
    assert p.stderr.count("error: ") == 1 and fix in p.stderr and "Traceback" not in p.stderr, p.stderr
    assert len(p.stderr.splitlines()) == 2, p.stderr
