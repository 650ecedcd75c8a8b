"""labs/checkpoint.py beyond what the pages run: a check that takes long is not a silent wait."""
from __future__ import annotations

import io
import time

from support import Terminal, load_lab


def test_a_long_check_counts_its_seconds_in_a_terminal():
    """Checkpoint 3's round trip took 41 s and checkpoint 4's agent run 51 s with nothing on the
    screen (walkthroughs at load 6 to 10): in a terminal a line now counts the seconds, and is
    wiped before the result, so the PASS lines the pages show stay as they are."""
    checkpoint = load_lab("labs/checkpoint.py")
    screen = Terminal()
    assert checkpoint.run_check("a slow check", lambda: time.sleep(2.2), out=screen) is None
    written = screen.getvalue()
    assert "\rchecking: a slow check ... 1 s" in written and "\rchecking: a slow check ... 2 s" in written
    assert written.endswith("\r\033[K"), repr(written)


def test_nothing_is_added_outside_a_terminal():
    checkpoint = load_lab("labs/checkpoint.py")
    pipe = io.StringIO()
    assert checkpoint.run_check("a check", lambda: "broken", out=pipe) == "broken"
    assert pipe.getvalue() == ""
