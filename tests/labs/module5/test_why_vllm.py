"""``labs/module5/why_vllm.py``'s concurrency sweep: when it stops, what it reuses, the knee and
the peak. The server's answer is a stand-in here (``vllm_server`` replaced by a table of
tokens/s per concurrency): this checks the sweep's own logic; the page's blocks and the recorded
run check it against the real server."""
from __future__ import annotations

import pytest

from support import ROOT, load_lab

why_vllm = load_lab("labs/module5/why_vllm.py")


def fake_server(rates: dict[int, float], calls: list[int]):
    async def server(convs, max_tokens, concurrency, model):
        calls.append(concurrency)
        tokens = len(convs) * max_tokens
        return tokens, tokens / rates[concurrency]
    return server


@pytest.fixture
def quiet_waiting(monkeypatch):
    monkeypatch.setattr(why_vllm.workshop, "waiting", lambda what: __import__("contextlib").nullcontext())


def test_the_sweep_goes_on_while_tokens_per_s_rises_and_reuses_what_was_measured(monkeypatch, quiet_waiting):
    calls = []
    rates = {1: 20, 8: 100, 32: 190, 64: 230, 128: 260, 256: 300, 512: 301}
    monkeypatch.setattr(why_vllm, "vllm_server", fake_server(rates, calls))
    rows = why_vllm.sweep(lambda n: [[{"role": "user", "content": "x"}]] * n, 64, "m", base=15.0,
                          known={1: (32, 2048, 2048 / 20)})
    assert [r["concurrency"] for r in rows] == [1, 8, 32, 64, 128, 256, 512]
    assert calls == [8, 32, 64, 128, 256, 512], "concurrency 1 was measured already"
    assert [r["requests"] for r in rows] == [32, 32, 32, 64, 128, 256, 512]
    assert rows[2]["vs_transformers"] == round(190 / 15, 1)
    knee, peak = why_vllm.knee_and_peak(rows)
    assert peak["concurrency"] == 512 and knee["concurrency"] == 256


def test_the_sweep_stops_at_the_first_levels_when_the_rate_falls(monkeypatch, quiet_waiting):
    calls = []
    rates = {1: 20, 8: 100, 32: 200, 64: 260, 128: 240}
    monkeypatch.setattr(why_vllm, "vllm_server", fake_server(rates, calls))
    rows = why_vllm.sweep(lambda n: [[{"role": "user", "content": "x"}]] * n, 64, "m", base=15.0)
    assert [r["concurrency"] for r in rows] == [1, 8, 32, 64, 128]
    knee, peak = why_vllm.knee_and_peak(rows)
    assert (knee["concurrency"], peak["concurrency"]) == (64, 64)


def test_the_offline_engine_gets_every_core_as_the_server_does(monkeypatch):
    """The page says the offline batch was slow because vLLM's offline engine kept one of the two
    cores for the lab's process, and that the lab now binds every core, as the server profile."""
    import os

    for name in ("VLLM_CPU_NUM_OF_RESERVED_CPU", "VLLM_CPU_OMP_THREADS_BIND", "VLLM_LOGGING_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    why_vllm.engine_environment()
    assert os.environ["VLLM_CPU_NUM_OF_RESERVED_CPU"] == "0"
    assert os.environ["VLLM_CPU_OMP_THREADS_BIND"] == f"0-{os.cpu_count() - 1}"
    text = (ROOT / "labs" / "serve" / "serve_cpu.sh").read_text()
    assert 'VLLM_CPU_NUM_OF_RESERVED_CPU="${VLLM_CPU_NUM_OF_RESERVED_CPU:-0}"' in text
