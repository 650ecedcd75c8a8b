"""Bad input gets one clear message with the fix, and a non-zero exit; nothing is lost.

Every lab that talks to the server (bash or Python) is run against each bad input a learner
meets: no server at the URL, a URL without ``/v1``, a model the server does not serve, a server
that wants an API key and gets none (a wrong key takes the same path: HTTP 401), and, for the
labs that send tools, a server started without the tool-calling flags. Each run must exit non-zero and print one
``error: ...`` with its ``fix: ...``, never a traceback and never silence. The runs go in
parallel (they are short, and most of their time is Python start-up).
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import free_port

ROOT = Path(__file__).resolve().parents[1]
#: Arguments some labs need (Module 3's checkpoint also needs tool calling).
ARGS = {"labs/checkpoint.py": ["3"],
        "labs/module4/agent.py": ["--servers", "acme", "--require-tool", "Where is order ACME-1042?"],
        "labs/module5/tune.py": ["prefix-caching", "--quick"],
        "labs/api/multimodal.py": ["--send"]}


def server_labs() -> list[str]:
    """Labs that talk to the workshop server: the Python labs that ask ``workshop`` for the model,
    the bash labs that call ``ws_connect``."""
    found = []
    for path in sorted((ROOT / "labs").rglob("*")):
        if path.suffix not in (".py", ".sh") or "__pycache__" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"workshop\.(model|served_models)\(", text) or re.search(r"^ws_connect$", text, re.M):
            found.append(path.relative_to(ROOT).as_posix())
    return found


LABS = server_labs()
#: The labs that send tools: they also meet a server started without the tool-calling flags.
TOOL_LABS = [lab for lab in LABS
             if re.search(r"openai_tools\(|\"tools\": \[\{|tools=tools", (ROOT / lab).read_text())]


def run_lab(lab: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
    """Run a lab as a learner does, with the virtual environment's ``python`` first on PATH."""
    runner = [sys.executable] if lab.endswith(".py") else ["bash"]
    environ = {**os.environ, "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    for name, value in env.items():
        if value is None:
            environ.pop(name, None)
        else:
            environ[name] = value
    return subprocess.run(runner + [lab, *ARGS.get(lab, [])], cwd=ROOT, env=environ,
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def problems(p: subprocess.CompletedProcess) -> list[str]:
    """What is wrong with a lab's answer to bad input (empty when it is one clear error)."""
    out = p.stdout + p.stderr
    found = []
    if p.returncode == 0:
        found.append("exit status 0")
    if "Traceback" in out:
        found.append("a traceback")
    errors = re.findall(r"^error: ", p.stderr, re.MULTILINE)
    if len(errors) != 1:
        found.append(f"{len(errors)} 'error:' lines on stderr, not one")
    if "fix: " not in out:
        found.append("no 'fix:'")
    return found


def test_the_matrix_covers_the_labs():
    """The scan finds the labs of both kinds (else the matrix below would check nothing)."""
    assert "labs/module1/first_chat.py" in LABS and "labs/module1/sse.sh" in LABS
    assert {"labs/module1/endpoints.sh", "labs/module1/curl_chat.sh"} <= set(LABS)
    assert "labs/module1/offline_batch.py" not in LABS, "offline labs need no server"
    assert "labs/module4/vllm_mcp.py" not in TOOL_LABS, "an MCP tool needs no tool-calling flags"
    assert {"labs/module3/round_trip.py", "labs/module3/curl_tools.sh",
            "labs/module4/agent.py"} <= set(TOOL_LABS)


@pytest.fixture(scope="module")
def bad_inputs(vllm_server, keyed_server) -> dict[str, dict[str, str | None]]:
    """Each bad input as the environment a learner would have."""
    return {
        "server down": {"VLLM_BASE_URL": f"http://127.0.0.1:{free_port()}/v1"},
        "URL without /v1": {"VLLM_BASE_URL": vllm_server.root},
        "wrong model": {"VLLM_MODEL": "no-such-model"},
        "key missing": {"VLLM_BASE_URL": keyed_server.base_url, "VLLM_API_KEY": None},
        "no tool flags": {"VLLM_BASE_URL": keyed_server.base_url, "VLLM_API_KEY": keyed_server.key},
    }


@pytest.fixture(scope="module")
def matrix(bad_inputs) -> dict[tuple[str, str], subprocess.CompletedProcess]:
    """Every lab run with every bad input, four at a time."""
    jobs = [(lab, name) for lab in LABS for name in bad_inputs
            if name != "no tool flags" or lab in TOOL_LABS]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = pool.map(lambda job: run_lab(job[0], **bad_inputs[job[1]]), jobs)
        return dict(zip(jobs, results))


@pytest.mark.parametrize("lab", LABS)
def test_every_bad_input_gets_one_error_and_its_fix(lab, matrix):
    failures = []
    for (name_lab, name), p in matrix.items():
        if name_lab == lab and (found := problems(p)):
            failures.append(f"{name}: {', '.join(found)}\n  stdout: {p.stdout[-600:]}\n"
                            f"  stderr: {p.stderr[-600:]}")
    assert not failures, f"{lab}:\n" + "\n".join(failures)


def test_the_check_catches_a_silent_failure_and_a_traceback():
    """``problems`` can fail: silence, a traceback, two errors."""
    silent = subprocess.CompletedProcess([], 1, "", "")
    assert problems(silent)
    trace = subprocess.CompletedProcess([], 1, "", "Traceback (most recent call last):\nerror: x\n  fix: y\n")
    assert "a traceback" in problems(trace)
    good = subprocess.CompletedProcess([], 1, "", "error: x\n  fix: y\n")
    assert problems(good) == []


def test_messages_name_the_fix(vllm_server):
    """The messages say what to do, for the three commonest mistakes."""
    down = run_lab("labs/module1/first_chat.py", VLLM_BASE_URL=f"http://127.0.0.1:{free_port()}/v1")
    assert "no vLLM server answers" in down.stderr and "./scripts/start" in down.stderr
    wrong = run_lab("labs/module1/sse.sh", VLLM_MODEL="no-such-model")
    assert "no-such-model" in wrong.stderr and "export VLLM_MODEL=" in wrong.stderr
    url = run_lab("labs/module1/curl_chat.sh", VLLM_BASE_URL=vllm_server.root)
    assert f"export VLLM_BASE_URL={vllm_server.root}/v1" in url.stderr


def test_missing_tool_flags_are_reported(keyed_server):
    """A real server started without --enable-auto-tool-choice: the environment check says to
    restart it with the flags (vLLM's own HTTP 400, vllm/renderers/online_renderer.py)."""
    p = run_lab("labs/setup/check_environment.py", VLLM_BASE_URL=keyed_server.base_url,
                VLLM_API_KEY=keyed_server.key)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "FAIL tool calling" in p.stdout and "--enable-auto-tool-choice" in p.stdout
    assert "Traceback" not in p.stdout + p.stderr


def test_check_environment_without_the_workshop_packages(tmp_path: Path):
    """Run by a Python that lacks the workshop's packages (no venv active), the check says to
    activate it instead of a ModuleNotFoundError."""
    venv = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    p = subprocess.run([str(venv / "bin" / "python"), "labs/setup/check_environment.py"], cwd=ROOT,
                       capture_output=True, text=True, timeout=60,
                       env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert p.returncode == 1
    assert "FAIL openai package: not installed" in p.stdout
    assert "source .venv/bin/activate" in p.stdout + p.stderr and "Traceback" not in p.stderr


def test_api_key_lab_stops_its_server_when_it_cannot_start(tmp_path: Path):
    """api_key.sh on a port that another program holds: it ends with an error within its bound,
    and leaves no server behind."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        t0 = time.monotonic()
        p = run_lab("labs/module1/api_key.sh", timeout=240, API_KEY_DEMO_PORT=str(port),
                    API_KEY_DEMO_TIMEOUT="120")
    assert p.returncode == 1 and "error: the server with a key did not become healthy" in p.stderr
    assert time.monotonic() - t0 < 150
    leftover = subprocess.run(["pgrep", "-f", "--", f"--port {port}"], capture_output=True, text=True)
    assert leftover.stdout.strip() == "", f"a server is left on port {port}"


def test_port_taken_by_something_else():
    """scripts/server.py refuses a port another program holds, and suggests a free one."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        p = subprocess.run([sys.executable, "scripts/server.py", "start"], cwd=ROOT,
                           env={**os.environ, "VLLM_PORT": str(port)},
                           capture_output=True, text=True, timeout=60)
        suggested = int(re.search(r"VLLM_PORT=(\d+)", p.stderr)[1])
        assert suggested != port
        with socket.socket() as probe:  # the suggestion is free: it can be bound
            probe.bind(("127.0.0.1", suggested))
    assert p.returncode == 1
    assert "is taken" in p.stderr and f"VLLM_BASE_URL=http://localhost:{suggested}/v1" in p.stderr


def test_interrupted_model_preparation_is_repaired(tmp_path: Path):
    """Kill the conversion half-way; the folder is not left looking complete; the rerun repairs it."""
    dest = tmp_path / "model"
    cmd = [sys.executable, "scripts/prepare_model.py", "--dest", str(dest)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in proc.stdout:  # wait until the conversion is under way
        if "[2/3]" in line:
            break
    time.sleep(2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (dest / ".complete").exists()
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    assert (dest / ".complete").is_file() and (dest / "model.safetensors").is_file()
    assert not dest.with_name("model.partial").exists()
    again = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and "model ready" in again.stdout
    shutil.rmtree(dest)
