"""The run report's schedule section (``tests/plugins/report.py``), from a timeline written the
way the workers write it (``tests/plugins/schedule.py``)."""
from __future__ import annotations

from plugins import report, schedule


def test_the_schedule_summary_counts_alone_time_and_waits():
    lines = "".join([
        schedule.timeline_line("gw0", "docs/en/module1.md::a", False, 100.0, 100.0, 110.0),
        schedule.timeline_line("gw1", "docs/en/module5.md::b", True, 101.0, 110.0, 150.0),
        schedule.timeline_line("gw0", "docs/en/module1.md::c", False, 111.0, 150.0, 151.0),
        "a line from an older format\n",
    ]).splitlines()
    summary = report.schedule_summary(lines)
    assert summary[0].split()[1] == "3" and "over 51.0 s" in summary[0]
    assert summary[1].split()[2] == "1" and "40.0 s with no other item running" in summary[1]
    assert "48.0 s" in summary[2], "9 s (gw1) + 39 s (gw0) waited for their turn"
    assert summary[3].strip() == "40.0 s  docs/en/module5.md::b"


def test_no_timeline_no_section():
    assert report.schedule_summary([]) == []


def test_busy_share_from_proc_stat_lines():
    """idle and iowait (the 4th and 5th numbers) are not busy time."""
    before = report.cpu_ticks("cpu  100 0 100 700 100 0 0 0 0 0\ncpu0 ...")
    after = report.cpu_ticks("cpu  250 0 150 800 100 0 0 0 0 0\n")
    assert before == (200, 1000) and after == (400, 1300)
    assert report.busy_share(before, after) == 200 / 300
    assert report.busy_share(None, after) is None and report.cpu_ticks("no numbers") is None
