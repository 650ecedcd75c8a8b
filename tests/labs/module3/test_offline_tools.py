"""labs/module3/offline_tools.py: tool calling in the lab's own vLLM, and no long wait is a silence."""
from __future__ import annotations

import re

from support import offline_waits, says_what_it_waits_for, waits


def test_each_long_step_says_what_it_waits_for():
    """Run for real with a progress line every second: importing vLLM, the reply and the exit
    were each silent before (6 to 27 s on the busy 2-core machine, issue 21); now each says what
    it waits for, the terminal is never silent for more than 15 s, then the parsed call."""
    lines = says_what_it_waits_for("labs/module3/offline_tools.py", "importing vLLM ...")
    assert waits(lines) == offline_waits("chat"), lines
    assert re.fullmatch(r"stopping vLLM's engine: done in \d+ s", lines[-1]), lines[-3:]
    assert any(line.startswith("parsed:    get_customer(") for line in lines), lines
