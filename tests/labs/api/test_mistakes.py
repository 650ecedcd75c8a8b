"""labs/api/mistakes.py: six mistakes of older guides, made for real; the import of vLLM that
items 2 and 6 need is not a silence (issue 21, long waits)."""
from __future__ import annotations

import pytest

from support import says_what_it_waits_for


@pytest.mark.server
def test_it_says_what_it_waits_for_then_makes_the_six_mistakes(vllm_server):
    """Item 2 waited 10 to 12 s with no output in a walkthrough (load average 7 to 11), the time
    vLLM took to import: the first line now says so, a line follows every second of it here."""
    lines = says_what_it_waits_for("labs/api/mistakes.py",
                                   "importing vLLM (items 2 and 6 look for modules in it) ...",
                                   VLLM_BASE_URL=vllm_server.base_url)
    numbered = [line.split(".")[0] for line in lines if line[:1].isdigit()]
    assert numbered == ["1", "2", "3", "4", "5", "6"], lines
    assert lines[-1] == "   instead: from vllm.tool_parsers import ToolParser, ToolParserManager", lines[-1]
