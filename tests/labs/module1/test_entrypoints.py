"""labs/module1/entrypoints.py: ``python -m vllm.entrypoints.openai.api_server`` is ``vllm serve``,
and the 10 to 30 s of importing vLLM's argument parsers are not a silence (issue 21, long waits)."""
from __future__ import annotations

from support import says_what_it_waits_for


def test_it_says_what_it_waits_for_then_compares():
    """The first line comes before vLLM is imported, a line follows every second of the import
    (WORKSHOP_PROGRESS_EVERY=1), then the comparison finds no option that differs."""
    lines = says_what_it_waits_for("labs/module1/entrypoints.py",
                                   "importing vLLM's argument parsers ...")
    assert any(line.startswith("  still importing: ") for line in lines), lines
    out = "\n".join(lines)
    assert "different: 0" in out and "both run the same run_server: True" in out
