"""labs/module2/offline.py: structured outputs in the lab's own vLLM, and no long wait is a silence."""
from __future__ import annotations

import re

from support import offline_waits, says_what_it_waits_for, waits


def test_each_long_step_says_what_it_waits_for():
    """Run for real with a progress line every second: importing vLLM, the two batches and the
    exit were each silent before (6 to 27 s on the busy 2-core machine, issue 21); now each says
    what it waits for, the terminal is never silent for more than 15 s, and the three compact
    tickets and three labels follow their batches."""
    lines = says_what_it_waits_for("labs/module2/offline.py", "importing vLLM ...")
    assert waits(lines) == offline_waits("chat", "generate"), lines
    assert re.fullmatch(r"stopping vLLM's engine: done in \d+ s", lines[-1]), lines[-3:]
    assert sum(line.startswith("ticket    | valid   | compact: True | ") for line in lines) == 3, lines
    assert sum(line.startswith("sentiment | ") for line in lines) == 3, lines
