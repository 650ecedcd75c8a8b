"""``labs/module5/bench_serve.sh``: what the page says of an output line that looks wrong.

``vllm bench serve`` prints ``Peak concurrent requests`` above ``Maximum request concurrency``
(2 at 1, 16 at 8, in the record and in the quiet walkthrough of 7 December 2026), which the page
did not explain. vLLM 0.32 (``vllm/benchmarks/serve.py``) counts, per one-second bucket, every
request active during it; the page now says so, in both languages, and the record still shows it.
"""
from __future__ import annotations

import re

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
