"""Module 5: the labs' own arithmetic, and the recorded run the page shows.

The page runs every lab against the suite's server (quick profiles); these tests check what the
page cannot: the histogram percentile and the roofline bound against hand-computed values, and
that the committed record (``labs/module5/record/``: what each lab printed, the JSON it wrote,
and the figures in ``docs/assets/bench/``) agrees with itself, so the page's figures are a real
run's and not edited text. Recomputing slo.py, compare.py and plots.py from the record's JSON
must give the recorded output byte for byte.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from support import ROOT, load_lab

RECORD = ROOT / "labs" / "module5" / "record"
metrics_watch = load_lab("labs/module5/metrics_watch.py")
roofline = load_lab("labs/module5/roofline.py")
why_vllm = load_lab("labs/module5/why_vllm.py")
guidellm_rows = load_lab("labs/module5/slo.py").guidellm_rows


def run(*args: str) -> str:
    p = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_histogram_quantile_interpolates_inside_the_bucket():
    """10 observations before, 100 more after: 50 <= 0.1 s, 40 in (0.1, 0.2], 10 in (0.2, 0.5].
    p50 is the top of the first bucket; p95 is half-way through the third."""
    before = [(0.1, 5.0), (0.2, 8.0), (0.5, 10.0), (float("inf"), 10.0)]
    after = [(0.1, 55.0), (0.2, 98.0), (0.5, 110.0), (float("inf"), 110.0)]
    assert metrics_watch.quantile(0.5, before, after) == pytest.approx(0.1)
    assert metrics_watch.quantile(0.95, before, after) == pytest.approx(0.2 + 0.3 * 0.5)
    assert metrics_watch.quantile(0.5, after, after) is None, "no new observations"


def test_roofline_bound_has_two_regimes():
    params, bpp, bandwidth, flops = 1e9, 2, 100e9, 10e12   # 2 GB of weights
    assert roofline.bound(params, bpp, bandwidth, flops, 1) == pytest.approx(50)   # 100 GB/s / 2 GB
    ridge = roofline.ridge(bpp, bandwidth, flops)
    assert ridge == pytest.approx(100)
    assert roofline.bound(params, bpp, bandwidth, flops, 50) == pytest.approx(50 * 50)
    assert roofline.bound(params, bpp, bandwidth, flops, 1000) == pytest.approx(flops / (2 * params))


def test_rates_against_the_bound_by_hand():
    """Each way's batch: its concurrency, the offline batch's requests, 1 one at a time; the
    sweep's knee and peak are compared too."""
    why = {"ways": [{"way": "transformers generate, one at a time", "requests": 32, "tokens_per_s": 25.0},
                    {"way": "vLLM server, concurrency 32", "requests": 32, "tokens_per_s": 1000.0},
                    {"way": "vLLM offline, one batch", "requests": 64, "tokens_per_s": 1250.0}],
           "peak": {"concurrency": 100, "tokens_per_s": 2500.0}}
    rows = roofline.against_bound(why, 1e9, 2, 100e9, 10e12)   # 50 tokens/s at batch 1, ridge at 100
    assert [(r["batch"], r["bound_tokens_per_s"], r["pct_of_bound"]) for r in rows] == \
        [(1, 50.0, 50), (32, 1600.0, 62), (64, 3200.0, 39), (100, 5000.0, 50)]
    assert rows[-1]["way"] == "vLLM server, concurrency 100 (peak)"


# ------------------------------------------------------------------ the recorded run


def rows_printed(text: str, first_word: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines() if line.startswith(first_word)]


def test_the_record_has_every_lab_and_its_machine():
    for name in ("why_vllm", "prompt_length", "roofline", "guidellm", "slo", "bench_serve", "compare",
                 *(f"tune_{e}" for e in ("max-num-seqs", "prefix-caching", "batched-tokens", "threads", "eager"))):
        assert (RECORD / f"{name}.txt").read_text().strip(), name
    why = json.loads((RECORD / "why_vllm.json").read_text())
    assert why["machine"]["cores"] >= 1 and why["machine"]["versions"]["vllm"]
    assert "--profile full" in why["command"]


def test_the_recorded_roofline_compares_the_recorded_sweep():
    """The roofline record's comparisons are the recorded why-vLLM rates (the page quotes their
    percentages) against its own bound, and its text shows each one."""
    roof = json.loads((RECORD / "roofline.json").read_text())
    why = json.loads((RECORD / "why_vllm.json").read_text())
    expected = roofline.against_bound(why, roof["params"], roof["bytes_per_param"],
                                      roof["bandwidth_bytes_per_s"], roof["flops_per_s"])
    assert roof["measured"] == expected
    assert [r["way"] for r in expected][-2:] == [f"vLLM server, concurrency {why['knee']['concurrency']} (knee)",
                                                 f"vLLM server, concurrency {why['peak']['concurrency']} (peak)"]
    text = (RECORD / "roofline.txt").read_text()
    for r in expected:
        assert f"{r['way']:<38} {r['tokens_per_s']:>7.1f} tokens/s = {r['pct_of_bound']:3d} % of the bound" in text, r


def test_the_recorded_why_vllm_table_is_the_json():
    """Every column of every row, the ratio included, is the JSON's; and the JSON's ratio is its
    own tokens/s over transformers' (so an edited ratio fails in either file)."""
    why = json.loads((RECORD / "why_vllm.json").read_text())
    text = (RECORD / "why_vllm.txt").read_text()
    base = why["ways"][0]
    assert base["way"].startswith("transformers")
    for way in why["ways"]:
        line = next(l for l in text.splitlines() if l.startswith(way["way"]))
        numbers = line[len(way["way"]):].split()
        assert numbers == [str(way["requests"]), str(way["output_tokens"]), f"{way['seconds']:.2f}",
                           f"{way['tokens_per_s']:.1f}", f"{way['vs_transformers']:.1f}x"], line
        # the lab divides unrounded rates: the recorded (rounded to 0.1) ones agree within 0.1
        assert way["vs_transformers"] == pytest.approx(way["tokens_per_s"] / base["tokens_per_s"], abs=0.1), way["way"]
        # seconds are rounded to 0.01 in the record: tokens/s agrees within that rounding
        assert way["tokens_per_s"] == pytest.approx(way["output_tokens"] / way["seconds"], abs=0.15)
    assert len(why["ways"]) == 4, "the full profile has the offline way too"


def test_the_recorded_sweep_is_the_json_and_its_knee_and_peak_recompute():
    """The sweep table's every column is the JSON's; its concurrency 1 and 32 rows are the ways'
    (measured once, reused); the knee and peak are what the lab's rule gives for these rows."""
    why = json.loads((RECORD / "why_vllm.json").read_text())
    text = (RECORD / "why_vllm.txt").read_text()
    table = text[text.index("the server at each concurrency"):].splitlines()[2:]
    lines = [l.split() for l in table if l.strip() and l.strip()[0].isdigit()]
    assert len(lines) == len(why["sweep"]) >= 5
    base = why["ways"][0]["tokens_per_s"]
    for numbers, row in zip(lines, why["sweep"]):
        assert numbers == [str(row["concurrency"]), str(row["requests"]), str(row["output_tokens"]),
                           f"{row['seconds']:.2f}", f"{row['tokens_per_s']:.1f}", f"{row['vs_transformers']:.1f}x"]
        assert row["vs_transformers"] == pytest.approx(row["tokens_per_s"] / base, abs=0.1)
    by_level = {r["concurrency"]: r for r in why["sweep"]}
    for way, level in ((why["ways"][1], 1), (why["ways"][2], why["requests"])):
        assert (way["output_tokens"], way["seconds"]) == (by_level[level]["output_tokens"], by_level[level]["seconds"])
    knee, peak = why_vllm.knee_and_peak(why["sweep"])
    assert (why["knee"], why["peak"]) == (knee, peak)
    assert f"peak: {peak['tokens_per_s']:.1f} tokens/s at concurrency {peak['concurrency']}" in text
    # it stopped because tokens/s stopped rising: the last level rose by less than RISE
    assert why["sweep"][-1]["tokens_per_s"] < why_vllm.RISE * why["sweep"][-2]["tokens_per_s"]


def test_slo_and_compare_recompute_to_the_recorded_output():
    assert run("labs/module5/slo.py", str(RECORD / "guidellm" / "benchmarks.json")) == \
        (RECORD / "slo.txt").read_text()
    assert run("labs/module5/compare.py", "--from", str(RECORD)) == (RECORD / "compare.txt").read_text()


def test_the_recorded_tuning_tables_are_the_json():
    """Every column of both rows of each experiment's table is its JSON's."""
    cols = ["tokens_per_s", "ttft_p50_ms", "ttft_p95_ms", "itl_p50_ms", "itl_p95_ms", "latency_p95_ms",
            "server_start_s"]
    for path in sorted(RECORD.glob("tune_*.json")):
        record = json.loads(path.read_text())
        text = (RECORD / f"{path.stem}.txt").read_text()
        for label, row in record["rows"].items():
            # the table row, not the "A: profile: server ready" progress line
            line = [l for l in text.splitlines() if l.startswith(label + " ")][-1]
            assert line[len(label):].split() == [f"{row[c]:.1f}" for c in cols], (path.name, label)


def test_the_figures_are_drawn_from_the_record(tmp_path):
    out = run("labs/module5/plots.py", "--from", str(RECORD), "--to", str(tmp_path))
    assert out.count("wrote") == 3
    for png in ("why_vllm.png", "throughput.png", "latency.png"):
        assert (tmp_path / png).read_bytes() == (ROOT / "docs" / "assets" / "bench" / png).read_bytes(), \
            f"docs/assets/bench/{png} is not what plots.py draws from the record"


def test_the_guidellm_record_is_a_sweep():
    sweep = guidellm_rows(RECORD / "guidellm" / "benchmarks.json")
    strategies = [r["strategy"] for r in sweep["rows"]]
    assert strategies[:2] == ["synchronous", "throughput"] and len(strategies) >= 4
    assert all(r["completed"] > 0 for r in sweep["rows"])
    assert sweep["machine"] and sweep["model"]


def test_plots_without_results_is_an_error(tmp_path):
    p = subprocess.run([sys.executable, "labs/module5/plots.py", "--from", str(tmp_path)], cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 1 and re.search(r"^error: .*\n  fix: ", p.stderr, re.M)


def test_metrics_watch_questions_share_a_prefix_longer_than_a_kv_block(vllm_server):
    """The prefix cache keeps whole KV blocks: the questions' shared part must be longer than the
    server's block (``vllm:cache_config_info``), or the page's "each question's prefill starts
    after it" is false (ACME's system prompt alone, 39 tokens: 0 tokens found cached)."""
    import asyncio

    import httpx
    from transformers import AutoTokenizer

    async def scrape():
        async with httpx.AsyncClient(timeout=10) as http:
            return await metrics_watch.scrape(http)

    block = metrics_watch.block_size(asyncio.run(scrape()))
    convs = metrics_watch.questions(3)
    shared = convs[0][0]["content"]
    assert all(c[0] == {"role": "system", "content": shared} for c in convs)
    assert len({c[1]["content"] for c in convs}) == 3, "the questions differ after the prefix"
    tokenizer = AutoTokenizer.from_pretrained(ROOT / ".workshop" / "models" / "SmolLM2-135M-Instruct")
    tokens = len(tokenizer(shared)["input_ids"])
    assert tokens > 2 * block, f"the shared prefix is {tokens} tokens; a block is {block}"


@pytest.mark.parametrize("lang, said", [("en", "rates your own run of `why_vllm.py` saved in it"),
                                        ("zh", "你自己运行 `why_vllm.py`（第 1 节）时保存在其中的速率")])
def test_the_page_says_whose_rates_roofline_compares(lang, said):
    """roofline.py compares the bound with the learner's own ``.workshop/bench/why_vllm.json``
    (``main``'s ``BENCH_DIR / "why_vllm.json"``), not with the recorded run; the pages said "the
    recorded why-vLLM rates" and "“为什么选 vLLM”实测记录中的速率" (实测记录 is the site's word for a
    recorded run: second quiet walkthrough, 7 December 2026)."""
    assert 'BENCH_DIR / "why_vllm.json"' in (ROOT / "labs/module5/roofline.py").read_text(encoding="utf-8")
    text = " ".join((ROOT / "docs" / lang / "module5.md").read_text(encoding="utf-8").split())
    assert said in text and "compares the recorded why-vLLM rates" not in text and "实测记录中的速率" not in text
