"""``labs/module6/routing.py``: a real vllm-router in front of the suite's real server.

The page runs every mode against a router and replicas (docs/*/module6.md, sections 7 to 9);
these tests check what the page cannot: the labs' client reads the router's multi-model
``/v1/models`` answer, and every bad input ends with one ``error: ... fix: ...``, never a
traceback or a hang.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request

import pytest

import workshop_server as ws
from support import ROOT, load_lab

routing = load_lab("labs/module6/routing.py")

LAB = "labs/module6/routing.py"


def run(*args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, LAB, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **env})


def one_error(p: subprocess.CompletedProcess) -> str:
    """The one ``error:`` line and its ``fix:``; fails on a traceback or a silent exit."""
    assert p.returncode != 0, p.stdout
    assert "Traceback" not in p.stderr, p.stderr
    lines = p.stderr.strip().splitlines()
    assert lines[0].startswith("error: ") and any(l.strip().startswith("fix: ") for l in lines), p.stderr
    return p.stderr


@pytest.fixture(scope="module")
def router(vllm_server):
    """vllm-router in multi-model mode (``--enable-igw``) with the suite's server registered."""
    port = ws.free_port()
    srv = ws.Server("test-router", port=port, grace=5, command=[
        "vllm-router", "--host", "127.0.0.1", "--port", str(port), "--prometheus-host", "127.0.0.1",
        "--prometheus-port", str(ws.free_port()), "--enable-igw", "--log-level", "warning"])
    srv.start()
    try:
        srv.wait(timeout=60)
        request = urllib.request.Request(f"{srv.root}/workers", method="POST",
                                         headers={"Content-Type": "application/json"},
                                         data=json.dumps({"url": vllm_server.root}).encode())
        with urllib.request.urlopen(request, timeout=30) as r:
            assert json.load(r)["success"]
        yield srv
    finally:
        srv.stop()


def test_labs_read_the_routers_model_list(router, vllm_server):
    """The router answers ``/v1/models`` with ``{"models": [...]}``; the labs' client reads it and a
    Module 1 lab works through the router unchanged."""
    with urllib.request.urlopen(router.base_url + "/models", timeout=10) as r:
        body = json.load(r)
    assert "data" not in body and body["models"]
    p = subprocess.run([sys.executable, "labs/module1/first_chat.py"], cwd=ROOT, capture_output=True,
                       text=True, timeout=120, env={**os.environ, "VLLM_BASE_URL": router.base_url})
    assert p.returncode == 0 and "Traceback" not in p.stderr, p.stderr
    p = run("models", VLLM_BASE_URL=router.base_url)
    assert p.returncode == 0, p.stderr
    rows = p.stdout.splitlines()[1:]
    assert len(rows) == len(body["models"]) and vllm_server.root in rows[0], p.stdout


def test_an_unknown_model_through_the_router_gets_the_fix(router):
    p = subprocess.run([sys.executable, "labs/module1/first_chat.py"], cwd=ROOT, capture_output=True,
                       text=True, timeout=120,
                       env={**os.environ, "VLLM_BASE_URL": router.base_url, "VLLM_MODEL": "acme-nope"})
    assert "acme-nope" in one_error(p)


def test_models_against_a_server_that_is_no_router(vllm_server):
    assert "does not point at a vllm-router" in one_error(run("models", VLLM_BASE_URL=vllm_server.base_url))


def test_no_replica_up():
    nobody = f"http://127.0.0.1:{ws.free_port()}"
    assert "no server answers" in one_error(run("policies", "--replicas", nobody, nobody))
    assert "no server answers" in one_error(run("failover", "--replicas", nobody, "--stop", "x"))


def test_options_it_needs_and_options_it_does_not_take(vllm_server):
    assert "--replicas" in one_error(run("policies"))
    assert "--stop" in one_error(run("failover", "--replicas", vllm_server.root))
    assert "one URL" in one_error(run("direct", "--replicas", vllm_server.root, vllm_server.root))
    assert "no-such-option" in one_error(run("policies", "--no-such-option"))
    p = run("failover", "--replicas", vllm_server.root, "--stop", "no-such-server")
    assert "no server named 'no-such-server'" in one_error(p)


# ------------------------------------------------------------------ the recorded run the page shows

RECORD = ROOT / "labs" / "module6" / "record"


def rows(text: str) -> dict[str, list[str]]:
    """The table rows of a recorded ``policies`` or ``direct`` output, by their first column."""
    found = {}
    for line in text.splitlines():
        for way in ("round_robin", "cache_aware", "no router"):
            cells = line[len(way):].split()
            if line.startswith(way) and cells and cells[0].isdigit():   # not the verdict line
                found[way] = cells
    return found


def test_the_recorded_table_is_its_json_column_by_column():
    """Each figure of ``record/routing.txt`` is the one in the JSON the page's prose renders
    (``record()`` macros): requests and cached tokens per replica, the share cached, TTFT p50 and
    p95, tokens/s; and the machine and versions are recorded."""
    policies = json.loads((RECORD / "routing_policies.json").read_text())
    direct = json.loads((RECORD / "routing_direct.json").read_text())
    table = rows((RECORD / "routing.txt").read_text())
    runs = [(table[p], policies["runs"][p]) for p in ("round_robin", "cache_aware")]
    runs.append((table["no router"], direct))
    for cells, run in runs:
        per = list(run["replicas"].values())
        text = " ".join(cells)
        assert text.startswith(" + ".join(str(r["requests"]) for r in per)), (text, per)
        share = 100 * sum(r["cached_tokens"] for r in per) / sum(r["prompt_tokens"] for r in per)
        assert f"{share:.1f} %" in text
        assert "(" + ", ".join(f"{r['cached_tokens']}/{r['prompt_tokens']}" for r in per) + ")" in text
        assert cells[-3:] == [f"{run['ttft_p50_ms']:.0f}", f"{run['ttft_p95_ms']:.0f}", f"{run['tokens_per_s']:.1f}"]
    for policy in ("round_robin", "cache_aware"):
        share = 100 * routing.hit_rate(policies["runs"][policy])
        assert policies["cached_share"][policy] == round(share, 1)
    for record in (policies, direct):
        assert record["machine"]["versions"].get("vllm-router") == "0.1.17"
        assert record["machine"]["cores"] and "load_average_1m_at_the_end" in record["machine"]


def test_the_recorded_failover_lost_no_request():
    """The page says every request was answered while a replica stopped: the record says so."""
    text = (RECORD / "failover.txt").read_text()
    sent, answered = re.search(r"^(\d+) requests, one every [\d.]+ s: (\d+) answered$", text, re.M).groups()
    assert sent == answered
    assert "stopping record-replica-b" in text and "during the stop" in text
