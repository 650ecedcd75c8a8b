"""What a learner sees printed, the page explains.

A block's expected output may hide a line behind ``...``, but the learner reads the real one.
Words in it that a learner cannot interpret on their own (a status, a route nobody mentioned) are
listed here with the command that prints them: the test checks that the real output (from the
live server, or the lab run for real) still contains each word, and that the page's prose, in
both languages, names it outside its code blocks.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import pytest

import pages

ROOT = pages.ROOT
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable


def lab_output(*args: str, **env: str) -> str:
    p = subprocess.run([PYTHON, *args], cwd=ROOT, capture_output=True, text=True, timeout=300,
                       env={**os.environ, "PYTHONPATH": str(ROOT / "labs"), **env})
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout


def routes(base_url: str) -> str:
    """The server's ``/v1/`` routes, as the API guide's route-list command prints them."""
    root = base_url.removesuffix("/v1")
    with urllib.request.urlopen(f"{root}/openapi.json", timeout=30) as r:
        return str(sorted(p for p in json.load(r)["paths"] if p.startswith("/v1/")))


def server_log(srv) -> str:
    """The workshop server's log: the CPU profile (``labs/serve/serve_cpu.sh``), which the
    container page's ``run.sh`` also runs and quotes the last line of while it waits."""
    if srv.log_path is None:
        pytest.skip("the server was started elsewhere: its log is not on this machine")
    return Path(srv.log_path).read_text(errors="replace")


#: The model whose answers the pages quote (labs/serve/serve_cpu.sh serves it).
TINY_MODEL = "SmolLM2-135M-Instruct"


def tiny_model_says(*args: str, env=dict):
    """``lab_output`` of a lab whose *answer* the page quotes (the tiny model's wording at
    temperature 0), with the environment ``env()`` gives when it runs: skipped on a server that
    serves another model (an instructor's GPU server), whose answer differs and which the page
    does not quote."""
    def printed(srv) -> str:
        with urllib.request.urlopen(f"{srv.base_url}/models", timeout=30) as r:
            served = [m["id"] for m in json.load(r)["data"]]
        if TINY_MODEL not in served:
            pytest.skip(f"the page quotes {TINY_MODEL}'s answer; this server serves {served}")
        return lab_output(*args, **env())
    return printed


#: (page, word, where it is printed): what the page must explain.
PRINTED = [
    ("module4.md", "incomplete (max_output_tokens)", lambda srv: lab_output("labs/module4/vllm_mcp.py")),
    # The round trip's first answer, quoted on the page (a ticket is written: a database of its own)
    ("module3.md", "confirms the order was shipped to the address provided", tiny_model_says(
        "labs/module3/round_trip.py", env=lambda: {"ACME_DB": os.path.join(tempfile.mkdtemp(), "acme.db")})),
    # A denied refund: the tiny model tells the customer to retry, though the tool message says not to
    ("module4.md", "told to retry the call", tiny_model_says(
        "labs/module4/agent.py", "--servers", "acme", "--tool", "acme__issue_refund", "--decisions",
        "labs/module4/decisions/refund_denied.json", "--audit", os.devnull,
        "Please refund 20 dollars on order ACME-1046, the hose leaks.")),
    # The Tokyo question: the tiny model asks the time server for "UTC" (its description's default)
    ("module4.md", '"UTC"', tiny_model_says(
        "labs/module4/agent.py", "--servers", "time", "--tool", "time__get_current_time",
        "What time is it in Tokyo?")),
    ("api.md", "/v1/systemone", lambda srv: routes(srv.base_url)),
    ("containers.md", "Unknown vLLM environment variable detected: VLLM_HOST", server_log),
    ("containers.md", "Triton is installed, but doesn't include CPU backend. Disabling Triton.", server_log),
]


def prose(lang: str, page: str) -> str:
    return " ".join(" ".join(pages.outside_fences(pages.read(lang, page))).split())


@pytest.mark.parametrize("page, word, printed", PRINTED, ids=[f"{p}:{w}" for p, w, _ in PRINTED])
def test_printed_words_are_explained_on_the_page(vllm_server, page, word, printed):
    output = printed(vllm_server)
    assert word in output, f"the output no longer contains {word!r}; update this list:\n{output}"
    for lang in pages.LANGS:
        assert word in prose(lang, page), f"docs/{lang}/{page} prints {word!r} but its prose does not explain it"


def test_the_container_page_places_the_triton_line_where_the_log_has_it(vllm_server):
    """The container page said the waiting lines *before* the VLLM_HOST warning show the Triton
    line; typed in the newcomer walkthrough, run.sh's lines showed it after the warning too (vLLM's
    API server prints it, then its engine process as it starts). The CPU profile's log, which the
    container runs, has it on both sides, and the page says so in both languages."""
    log = server_log(vllm_server)
    warning = log.find("Unknown vLLM environment variable detected: VLLM_HOST")
    triton = "Triton is installed, but doesn't include CPU backend."
    assert 0 <= log.find(triton) < warning < log.rfind(triton), "the log no longer has Triton's line on both sides"
    assert "before and after the warning" in prose("en", "containers.md")
    assert "那条警告之前和之后" in prose("zh", "containers.md")


def test_the_structured_decisions_route_answers_as_the_api_guide_says(vllm_server):
    """The API guide's sentence on /v1/systemone: HTTP 501 with this message on the workshop's model."""
    request = urllib.request.Request(
        f"{vllm_server.base_url}/systemone", method="POST", headers={"Content-Type": "application/json"},
        data=json.dumps({"state": "Order ACME-1042 shipped on 29 May.",
                         "questions": {"shipped": {"type": "boolean"}}}).encode())
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=30)
    assert err.value.code == 501
    assert "The model does not support the structured decision API" in err.value.read().decode()
    assert "The model does not support the structured decision API" in prose("en", "api.md")


#: What an offline lab's exit may print on stderr (a buffer of vLLM's engine worker that Python's
#: resource tracker removes itself): seen after Module 2's offline lab in a walkthrough, which its
#: page did not explain, while Modules 1 and 3 did. Not printed on every run, so the pages are checked.
LEAKED = "resource_tracker: There appear to be 1 leaked shared_memory objects"


#: What vLLM prints, once per process, while an offline lab starts its engine (stderr, every run):
#: Module 3's page showed only the lab's own lines and did not explain it (seen three times in one
#: run in its newcomer walkthrough), while Modules 1 and 2 did.
TRITON = "Triton is installed, but doesn't include CPU backend. Disabling Triton."


OFFLINE_LABS = [("module1.md", "labs/module1/offline_batch.py"), ("module2.md", "labs/module2/offline.py"),
                ("module3.md", "labs/module3/offline_tools.py")]


@pytest.mark.parametrize("line", [LEAKED, TRITON], ids=["exit warning", "Triton line"])
@pytest.mark.parametrize(("page", "lab"), OFFLINE_LABS)
def test_the_offline_labs_vllm_lines_are_explained(page, lab, line):
    for lang in pages.LANGS:
        assert f"$ python {lab}" in pages.read(lang, page), f"docs/{lang}/{page} no longer runs {lab}"
        assert line in prose(lang, page), f"docs/{lang}/{page} runs {lab} but does not explain {line!r}"
