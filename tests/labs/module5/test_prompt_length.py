"""``labs/module5/prompt_length.py``: long prompts differ in every request (the prefix cache must not
share them), the noise rule, bad input; and the recorded run's table is its JSON, its verdict
recomputed. The lab's run against the server is the page's block (docs/en/module5.md, section 1).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

from support import ROOT, load_lab

prompt_length = load_lab("labs/module5/prompt_length.py")
RECORD = ROOT / "labs" / "module5" / "record"


def test_long_prompts_are_long_and_all_different():
    short = prompt_length.conversations(4)
    long = prompt_length.long_conversations(4, 24)
    users = [c[-1]["content"] for c in long]
    assert len(set(users)) == 4
    # the history comes first and differs from the first order line on; the question stays last
    assert len({u.split("\n")[1] for u in users}) == 4
    for s, l in zip(short, long):
        assert l[-1]["content"].endswith(s[-1]["content"]) and len(l[-1]["content"]) > 10 * len(s[-1]["content"])
        assert l[0] == s[0]          # the same system prompt


def test_a_change_inside_the_spread_of_two_runs_is_noise():
    assert prompt_length.change([280.0, 270.0], 200.0) == "-27%"
    assert "within the noise" in prompt_length.change([280.0, 270.0], 277.0)


def test_bad_options_get_one_error_and_its_fix():
    p = subprocess.run([sys.executable, "labs/module5/prompt_length.py", "--concurrency", "0"], cwd=ROOT,
                       capture_output=True, text=True, timeout=60, env=dict(os.environ), stdin=subprocess.DEVNULL)
    assert p.returncode == 1 and "Traceback" not in p.stderr, p.stderr
    assert p.stderr.count("error: ") == 1 and "\n  fix: " in p.stderr


def test_the_recorded_table_is_the_json():
    record = json.loads((RECORD / "prompt_length.json").read_text())
    text = (RECORD / "prompt_length.txt").read_text()
    lines = [l for l in text.splitlines() if l.startswith(("ACME's prompts", "long prompts"))]
    assert len(lines) == len(record["rows"]) == 3
    for line, row in zip(lines, record["rows"]):
        assert line[len(row["prompts"]):].split() == [str(row["prompt_tokens"]), str(row["output_tokens"]),
                                                       f"{row['seconds']:.2f}", f"{row['tokens_per_s']:.1f}"]
    short = [record["rows"][0]["tokens_per_s"], record["rows"][2]["tokens_per_s"]]
    assert (max(short) - min(short)) / (sum(short) / 2) <= prompt_length.BUSY, "a record from a busy machine"
    assert record["change"] == prompt_length.change(short, record["rows"][1]["tokens_per_s"])
    assert record["change"] in text
