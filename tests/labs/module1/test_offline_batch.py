"""labs/module1/offline_batch.py: vLLM in the lab's own process, and no long wait is a silence."""
from __future__ import annotations

import re

from support import offline_waits, says_what_it_waits_for, waits


def test_each_long_step_says_what_it_waits_for():
    """Run for real with a progress line every second: before this, importing vLLM, the first
    batch and the exit (the engine's shutdown, then Python's teardown) were each silent, 6 to 27 s
    on the busy 2-core machine (issue 21); now each says what it waits for at once, the terminal
    is never silent for more than 15 s, and each batch's results follow its wait."""
    lines = says_what_it_waits_for("labs/module1/offline_batch.py", "importing vLLM ...")
    assert waits(lines) == offline_waits("generate", "chat", "beam_search"), lines
    assert re.fullmatch(r"stopping vLLM's engine: done in \d+ s", lines[-1]), lines[-3:]
    results = [line.split(" | ")[0].strip() for line in lines if " | " in line]
    assert results == ["generate", "generate", "chat", "chat", "beam 0", "beam 1"], lines
