"""The workshop's CPU server in a container (docs/*/containers.md), for real, with Podman.

Builds the image with the page's script (``labs/container/build.sh``: cached by a hash of its
inputs, about 1 s when nothing changed, 4-6 minutes from scratch here), runs it with the page's
``labs/container/run.sh`` on a free port, and runs Module 1's labs against it with
``VLLM_BASE_URL=http://127.0.0.1:PORT/v1``; reads its log, then stops and removes it. Bad input:
a port that is taken, a missing engine. Where Podman cannot run containers, every test that needs
it skips with ``labs/container/check.py``'s reason and fix (``pytest -ra`` lists it).
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support import ROOT, load_lab
from workshop_server import free_port

check = load_lab("labs/container/check.py")
NAME = f"workshop-test-{os.getpid()}"
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable


def sh(*args: str, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run a command from the repository root; stdout and stderr captured as text."""
    return subprocess.run(list(args), cwd=ROOT, env={**os.environ, **(env or {})},
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def image() -> str:
    """The built image's name (built now, or found in the cache); skips where Podman cannot run."""
    if shutil.which("podman") is None:
        pytest.skip(check.problem())
    build = sh("bash", "labs/container/build.sh", timeout=1800)
    assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-4000:]
    reason = check.problem()
    if reason:
        pytest.skip(reason)
    return build.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def container(image):
    """The server container on a free port: ``(name, port)``; stopped and removed afterwards."""
    port = free_port()
    started = time.monotonic()
    run = sh("bash", "labs/container/run.sh", env={"WORKSHOP_CONTAINER": NAME, "CONTAINER_PORT": str(port)})
    try:
        assert run.returncode == 0, f"run.sh failed:\n{run.stdout}\n{run.stderr[-4000:]}"
        print(f"container healthy after {time.monotonic() - started:.0f} s")
        yield NAME, port
    finally:
        stop = sh("podman", "stop", NAME)
        sh("podman", "rm", "-f", NAME)
        assert sh("podman", "container", "exists", NAME).returncode == 1, "the container was not removed"
        assert stop.returncode == 0 or run.returncode != 0, stop.stderr


def lab_env(port: int) -> dict:
    """Module 1's labs pointed at the container (labs/workshop.py and labs/workshop.sh read these)."""
    return {"VLLM_BASE_URL": f"http://127.0.0.1:{port}/v1", "VLLM_API_KEY": "EMPTY",
            "VLLM_MODEL": "", "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}"}


def test_image_is_tagged_and_cached(image):
    """The image carries its input hash and :latest, and a second build is a cache hit."""
    assert image.startswith("localhost/vllm-workshop-cpu:") and image != "localhost/vllm-workshop-cpu:latest"
    again = sh("bash", "labs/container/build.sh", timeout=120)
    assert again.returncode == 0 and "up to date" in again.stdout, again.stdout + again.stderr
    ids = {sh("podman", "image", "inspect", "-f", "{{.Id}}", ref).stdout.strip()
           for ref in (image, "localhost/vllm-workshop-cpu:latest")}
    assert len(ids) == 1, ids
    user = sh("podman", "image", "inspect", "-f", "{{.Config.User}}", image).stdout.strip()
    assert user and not user.startswith("0"), f"the image runs as root ({user!r})"


def test_module1_endpoints_against_the_container(container):
    """``bash labs/module1/endpoints.sh``: /health, /version and the served model, via the port."""
    _, port = container
    env = lab_env(port)
    del env["VLLM_MODEL"]
    p = sh("bash", "labs/module1/endpoints.sh", env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "GET /health -> HTTP 200" in p.stdout
    assert '"version":"0.32.0"' in p.stdout.replace(" ", "")
    assert "SmolLM2-135M-Instruct | max_model_len: 8192" in p.stdout


def test_module1_first_chat_against_the_container(container):
    """``python labs/module1/first_chat.py`` gets the right answer from the container (float32)."""
    _, port = container
    env = lab_env(port)
    del env["VLLM_MODEL"]
    p = sh(PYTHON, "labs/module1/first_chat.py", env=env, timeout=300)
    assert p.returncode == 0, p.stderr
    assert "Paris" in p.stdout and "finish_reason: stop" in p.stdout, p.stdout


def test_container_log_and_health(container):
    """``podman logs`` shows the server's start and the labs' requests; the image's HEALTHCHECK
    (kept by ``--format docker``) passes."""
    name, _ = container
    logs = sh("podman", "logs", name)
    text = logs.stdout + logs.stderr
    assert "non-default args" in text and "'dtype': 'float32'" in text, text[-2000:]
    assert "Application startup complete" in text
    assert sh("podman", "healthcheck", "run", name).returncode == 0


def test_taken_port_is_a_clear_error(image):
    """run.sh on a port another program holds: one error with its fix, no container left."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        p = sh("bash", "labs/container/run.sh",
               env={"WORKSHOP_CONTAINER": NAME + "-taken", "CONTAINER_PORT": str(port)}, timeout=60)
    assert p.returncode == 1
    assert f"error: port {port} on 127.0.0.1 is taken" in p.stderr and "fix: " in p.stderr, p.stderr
    assert "Traceback" not in p.stderr
    assert sh("podman", "container", "exists", NAME + "-taken").returncode == 1


def test_missing_engine_is_a_clear_error_and_a_skip_reason():
    """No container engine: the scripts end with the install command, and the check that the
    page's and these tests' skips use names it (this is what a machine without Podman reports)."""
    p = sh("bash", "labs/container/run.sh", env={"CONTAINER_ENGINE": "no-such-podman"}, timeout=30)
    assert p.returncode == 1 and "error: no-such-podman is not installed" in p.stderr
    assert "fix: install Podman: sudo apt-get install -y podman" in p.stderr
    reason = check.problem(engine="no-such-podman")
    assert reason and "apt-get install -y podman" in reason and "fix:" in reason


def test_service_unit_is_generated_and_valid(image):
    """The restartable service: Podman 4.3 has no Quadlet, so ``podman generate systemd --new``
    writes the unit, which ``systemd-analyze verify`` accepts; the Quadlet file has the same
    image, port and limits and only keys podman-systemd.unit(5) documents."""
    import configparser

    p = sh("bash", "labs/container/service.sh", env={"WORKSHOP_CONTAINER": NAME + "-svc"}, timeout=120)
    assert p.returncode == 0, p.stderr
    unit = (ROOT / ".workshop" / "container" / f"{NAME}-svc.service").read_text()
    assert "Restart=always" in unit and "podman run" in unit and "--init" in unit and "--rm" in unit
    if shutil.which("systemd-analyze"):
        assert "verified by systemd-analyze verify" in p.stdout
    assert sh("podman", "container", "exists", NAME + "-svc").returncode == 1
    q = configparser.ConfigParser(strict=True, interpolation=None)
    q.optionxform = str
    q.read(ROOT / "labs" / "container" / "vllm-workshop.container")
    c = q["Container"]
    assert set(c) <= {"Image", "ContainerName", "PublishPort", "RunInit", "PodmanArgs", "Environment", "Volume"}
    assert c["Image"] == "localhost/vllm-workshop-cpu:latest" and c["PublishPort"].endswith(":8000")
    assert "--shm-size" in c["PodmanArgs"] and q["Service"]["Restart"] == "always"
