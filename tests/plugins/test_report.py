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


def test_process_kinds():
    assert report.process_kind("VLLM::EngineCor", "VLLM::EngineCore") == "vLLM engines"
    assert report.process_kind("vllm", "/x/.venv/bin/python /x/.venv/bin/vllm serve m --port 1") == "vLLM API servers"
    assert report.process_kind("chromium", "/usr/lib/chromium/chromium --headless") == "Chromium"
    assert report.process_kind("conmon", "/usr/bin/conmon --api-version 1") == "Podman"
    assert report.process_kind("python", "/x/python -m pytest -n 3") == "pytest processes"
    assert report.process_kind("python", "/x/python -u -c import sys;exec(eval(sys.stdin.readline()))") \
        == "pytest processes"   # an xdist worker
    assert report.process_kind("python", "/x/python labs/module1/first_chat.py") == ""


def _proc(root, pid: int, comm: str, ticks: int, cmdline: str = "") -> None:
    d = root / str(pid)
    d.mkdir(exist_ok=True)
    # proc(5): pid (comm) state ppid ... utime is field 14, stime field 15
    (d / "stat").write_text(f"{pid} ({comm}) S 1 1 1 0 -1 0 0 0 0 0 {ticks} 0 0 0 20 0 1 0\n")
    (d / "cmdline").write_bytes(cmdline.replace(" ", "\0").encode())


def test_the_sampler_counts_each_kind_from_its_first_sample(tmp_path):
    tick = report.os.sysconf("SC_CLK_TCK")
    _proc(tmp_path, 10, "VLLM::EngineCor", 5 * tick)
    _proc(tmp_path, 11, "python", 1 * tick, "python labs/x.py")
    sampler = report.CpuSampler(proc=tmp_path)
    sampler.sample()                                  # first sight: nothing counted yet
    _proc(tmp_path, 10, "VLLM::EngineCor", 9 * tick)  # +4 s
    _proc(tmp_path, 12, "podman", 2 * tick, "podman run x")   # new: counts from now on
    sampler.sample()
    _proc(tmp_path, 12, "podman", 3 * tick, "podman run x")   # +1 s
    (tmp_path / "10" / "stat").unlink()               # ended: its time so far stays counted
    sampler.sample()
    assert sampler.seconds == {"vLLM engines": 4.0, "": 0.0, "Podman": 1.0}


def test_a_process_that_takes_its_title_later_counts_under_it(tmp_path):
    """vLLM's engine starts as a multiprocessing child and names itself VLLM::EngineCore later."""
    tick = report.os.sysconf("SC_CLK_TCK")
    _proc(tmp_path, 20, "python", 1 * tick, "python -c from multiprocessing.spawn import spawn_main")
    sampler = report.CpuSampler(proc=tmp_path)
    sampler.sample()
    _proc(tmp_path, 20, "VLLM::EngineCor", 4 * tick, "python -c from multiprocessing.spawn import spawn_main")
    sampler.sample()
    assert {k: v for k, v in sampler.seconds.items() if v} == {"vLLM engines": 3.0}
