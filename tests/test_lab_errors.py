"""Bad input gets one clear message with the fix, and a non-zero exit; nothing is lost."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import openai
import pytest

import workshop

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_lab(lab: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, lab], cwd=ROOT, env={**os.environ, **env},
                          capture_output=True, text=True, timeout=300)


def test_server_unreachable():
    p = run_lab("labs/module1/first_chat.py", VLLM_BASE_URL=f"http://127.0.0.1:{free_port()}/v1")
    assert p.returncode == 1
    assert "no vLLM server answers" in p.stderr and "./scripts/start" in p.stderr
    assert "Traceback" not in p.stderr


def test_wrong_model_lists_served_ones(vllm_server):
    served = workshop.served_models()
    p = run_lab("labs/module1/first_chat.py", VLLM_MODEL="no-such-model")
    assert p.returncode == 1
    assert "no-such-model" in p.stderr and served[0] in p.stderr
    assert f"export VLLM_MODEL={served[0]}" in p.stderr


def test_check_environment_reports_unreachable_server():
    p = run_lab("labs/setup/check_environment.py", VLLM_BASE_URL=f"http://127.0.0.1:{free_port()}/v1")
    assert p.returncode == 1
    assert "FAIL server /health" in p.stdout and "fix:" in p.stdout


def test_missing_tool_flags_message():
    """vLLM's HTTP 400 for tool_choice without the tool flags becomes a restart hint.

    A fake transport stands in for a server started without the flags; the error text is
    vLLM's own (vllm/renderers/online_renderer.py, 0.32.0).
    """
    body = {"error": {"message": '"auto" tool choice requires --enable-auto-tool-choice and '
                                 "--tool-call-parser to be set", "type": "BadRequestError",
                      "code": 400}}
    transport = httpx.MockTransport(lambda request: httpx.Response(400, json=body))
    client = openai.OpenAI(base_url="http://test/v1", api_key="x", max_retries=0,
                           http_client=httpx.Client(transport=transport))
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}],
                                       tools=[], tool_choice="auto")
    message = workshop.explain(info.value)
    assert "--enable-auto-tool-choice" in message and "scripts/server.py restart" in message


def test_port_taken_by_something_else():
    """scripts/server.py refuses a port another program holds, and says how to fix it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        p = subprocess.run([sys.executable, "scripts/server.py", "start"], cwd=ROOT,
                           env={**os.environ, "VLLM_PORT": str(port)},
                           capture_output=True, text=True, timeout=60)
    assert p.returncode == 1
    assert "is taken" in p.stderr and "VLLM_PORT=" in p.stderr


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
