"""The workshop's CPU server in a container (docs/*/containers.md), for real, with Podman.

Builds the image with the page's script (``labs/container/build.sh``: cached by a hash of its
inputs, about 1 s when nothing changed, 4-6 minutes from scratch here). The server in the
container is checked by the page itself, whose blocks the suite runs: ``run.sh`` on a free port,
``/health`` and the image's HEALTHCHECK, the log's ``'dtype': 'float32'``, Module 1's
``endpoints.sh`` and ``first_chat.py`` (``...Paris...``) against it, then stop and remove (a
second container here would start a second vLLM for the same checks: 125 to 147 s of a CI run).
These tests check the rest: the image's tag and cache, bad input (a port that is taken, a missing
engine), the service unit, the build context. Where Podman cannot run containers, every test that needs
it skips with ``labs/container/check.py``'s reason and fix (``pytest -ra`` lists it).
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
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


def podman(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """``podman ARGS`` with the labs' engine settings (``labs/container/common.sh``: the sandbox's
    containers.conf where one is needed), as the page's scripts run it."""
    return sh("bash", "-c", 'source labs/container/common.sh && podman "$@"', "podman", *args, timeout=timeout)


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


def test_run_sh_help_prints_its_header_and_starts_nothing():
    """``bash labs/container/run.sh --help`` passed --help on to ``vllm serve`` in a new container
    (its other arguments are vLLM's): with a container of that name it answered "a container named
    vllm-workshop exists already", without one it started a container that printed vLLM's help and
    exited (found walking the page, issue 21: every lab answers --help). No engine is needed."""
    for option in ("--help", "-h"):
        p = sh("bash", "labs/container/run.sh", option, env={"CONTAINER_ENGINE": "no-such-podman"}, timeout=30)
        assert p.returncode == 0, p.stdout + p.stderr
        assert p.stdout.startswith("Run the workshop's CPU server image as a container"), p.stdout
        assert "CONTAINER_PORT" in p.stdout and not re.search(r"^error: ", p.stdout + p.stderr, re.M)


@pytest.mark.parametrize("setting", [{"CONTAINER_PORT": "abc"}, {"CONTAINER_PORT": "0"},
                                     {"CONTAINER_PORT": "70000"}, {"CONTAINER_ADDR": "192.0.2.1"}])
def test_run_sh_names_a_bad_port_or_address(setting, tmp_path):
    """``CONTAINER_PORT=abc`` was "port abc on 127.0.0.1 is taken by another program" (fix: pick a
    free port), and an address this machine does not have was "taken" too (issue 21, misleading
    fixes): each is one error naming the setting, before anything starts. A fake engine that has
    the image and no container of that name; nothing is started."""
    engine = tmp_path / "fake-podman"
    engine.write_text('#!/bin/sh\ncase "$1 $2" in\n  "image inspect") exit 0 ;;\n  *) exit 1 ;;\nesac\n')
    engine.chmod(0o755)
    p = sh("bash", "labs/container/run.sh", env={"CONTAINER_ENGINE": str(engine), **setting}, timeout=30)
    assert p.returncode == 1, p.stdout + p.stderr
    errors = [line for line in p.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "fix: " in p.stderr, p.stderr
    assert "is taken" not in p.stderr, p.stderr
    name, value = next(iter(setting.items()))
    assert f"{name}={value}" in errors[0] or name in p.stderr.split("fix: ", 1)[1], p.stderr
    assert " run --detach" not in p.stdout, p.stdout


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


def test_service_publishes_8000_whatever_container_port_the_page_exported(image):
    """Section 2 of the page exports ``CONTAINER_PORT`` (a random free port for run.sh); the
    service typed later in the same terminal must still publish the fixed port 8000 (its own
    ``SERVICE_PORT``), not that random one."""
    p = sh("bash", "labs/container/service.sh",
           env={"WORKSHOP_CONTAINER": NAME + "-port", "CONTAINER_PORT": "18123"}, timeout=120)
    assert p.returncode == 0, p.stderr
    unit = (ROOT / ".workshop" / "container" / f"{NAME}-port.service").read_text()
    assert "127.0.0.1:8000:8000" in unit and "18123" not in unit, unit
    p = sh("bash", "labs/container/service.sh",
           env={"WORKSHOP_CONTAINER": NAME + "-port", "SERVICE_PORT": "8100"}, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "127.0.0.1:8100:8000" in (ROOT / ".workshop" / "container" / f"{NAME}-port.service").read_text()


def test_podmans_error_lines_on_stop_and_rm_are_explained_on_the_page(image):
    """Whatever error line Podman prints when the page stops and removes a container (here,
    without systemd: the image's HEALTHCHECK timer it cannot remove) is named on the page, in both
    languages, so that a reader knows the stop worked. In a terminal the line reads
    ``ERRO[0000] Removing timer ...``, to a pipe ``level=error msg="Removing timer ..."``: the page
    quoted only the second, which a learner typing the page does not see (the newcomer
    walkthrough; issue 21, a claim that did not hold when typed). ``podman stop`` runs in a
    pseudo-terminal (``script``), ``podman rm`` into a pipe, so both forms are checked."""
    name = NAME + "-hc"
    command = 'source labs/container/common.sh && podman stop -t 2 "$0"'
    try:
        run = podman("run", "-d", "--init", "--name", name, "--entrypoint", "sleep", image, "120")
        assert run.returncode == 0, run.stderr
        stop = sh("script", "-q", "-e", "-c", f"bash -c '{command}' {name}", "/dev/null")
        rm = podman("rm", name)
    finally:
        podman("rm", "-f", name)
    assert stop.returncode == 0 and rm.returncode == 0, stop.stdout + stop.stderr + rm.stderr
    assert sh("podman", "container", "exists", name).returncode == 1
    terminal = re.sub(r"\x1b\[[0-9;]*m", "", stop.stdout).replace("\r", "")
    messages = re.findall(r'level=error msg="([^"]*)"', rm.stderr)
    shown = re.findall(r"^([A-Z]{4})\[\d+\] (.*?)\s*$", terminal, re.MULTILINE)
    for lang in ("en", "zh"):
        page = (ROOT / "docs" / lang / "containers.md").read_text()
        for message in messages + [text for _, text in shown]:
            parts = [p for p in re.sub(r"\b[0-9a-f]{64}\b", "ID", message).split(": ") if len(p) >= 20]
            assert any(p in page for p in parts), f"docs/{lang}/containers.md does not explain: {message}"
        for level, _ in shown:   # the form a terminal shows, e.g. ERRO[0000]
            assert f"`{level}[" in page, f"docs/{lang}/containers.md quotes no {level}[...] line, which a terminal shows"


def test_the_build_context_of_the_pages_docker_build_is_small():
    """The page's ``docker build -f labs/container/Containerfile ... .`` sends the repository
    folder as the build context: an ignore file (``.dockerignore``, which Docker and Podman both
    read) keeps exactly the Containerfile's inputs and leaves out ``.venv`` and ``.workshop``
    (GBs). Checked with Podman's own reading of the file: a build that copies its context."""
    ignore = ROOT / ".dockerignore"
    assert ignore.is_file(), "no .dockerignore: `docker build ... .` sends .venv and .workshop/ (GBs)"
    if check.problem():
        pytest.skip(check.problem())
    base = next((i for i in ("localhost/workshop-base:bookworm", "localhost/vllm-workshop-cpu:latest")
                 if sh("podman", "image", "exists", i).returncode == 0), None)
    if base is None:
        pytest.skip("no local image to build from (bash labs/container/build.sh makes one)")
    tag = f"localhost/workshop-context-test:{os.getpid()}"
    containerfile = ROOT / ".workshop" / "container" / "context-test.Containerfile"
    containerfile.parent.mkdir(parents=True, exist_ok=True)
    containerfile.write_text(f"FROM {base}\nCOPY . /tmp/context/\n"
                             "RUN cd /tmp/context && find . -type f | sort && du -sk . \n")
    try:
        p = podman("build", "--layers=false", "-f", str(containerfile), "-t", tag, ".", timeout=600)
    finally:
        podman("rmi", "-f", tag)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    files = set(re.findall(r"^\./(\S+)$", p.stdout, re.MULTILINE))
    size_kb = int(re.findall(r"^(\d+)\s+\.$", p.stdout, re.MULTILINE)[-1])
    copied = re.findall(r"^COPY\s+(.+?)\s+\S+$", (ROOT / "labs/container/Containerfile").read_text(), re.MULTILINE)
    for source in (s for line in copied for s in line.split()):
        assert any(f == source or f.startswith(source.rstrip("/") + "/") for f in files), \
            f"the Containerfile copies {source}, which the ignore file leaves out: {sorted(files)}"
    assert not any(f.startswith((".venv/", ".workshop/", ".git/", "docs/")) for f in files), sorted(files)
    assert size_kb < 1024, f"the build context is {size_kb} KB: {sorted(files)}"


def test_base_sh_builds_nothing_where_docker_hub_answers(tmp_path):
    """The page shows base.sh before build.sh; a reader whose machine reaches Docker Hub types it
    too: it says the build pulls its base from there and builds nothing (no root needed)."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "curl").write_text("#!/bin/sh\nexit 0\n")             # Docker Hub answers
    (fake / "fake-podman").write_text("#!/bin/sh\nexit 1\n")      # no local base image yet
    (fake / "mmdebstrap").write_text("#!/bin/sh\necho called >&2; exit 1\n")
    for f in fake.iterdir():
        f.chmod(0o755)
    env = {"PATH": f"{fake}:{os.environ['PATH']}", "CONTAINER_ENGINE": "fake-podman",
           "ROOT": str(tmp_path)}   # its state folder (logs) under tmp_path
    p = sh("bash", "labs/container/base.sh", env=env, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "docker.io answers" in p.stdout and "localhost/workshop-base:bookworm" in p.stdout, p.stdout
    assert "called" not in p.stderr
    forced = sh("bash", "labs/container/base.sh", env={**env, "BUILD_BASE": "1"}, timeout=60)
    assert "docker.io answers" not in forced.stdout   # build.sh's call goes on to build


def test_run_sh_says_how_long_it_has_waited(tmp_path):
    """run.sh waits for /health while the server loads (35 s on the quiet machine, 203 s while
    other tests ran): a line every WORKSHOP_PROGRESS_EVERY seconds with the container's last log
    line, not minutes of silence (issue 21, long silent waits). A fake engine and a fake curl
    that answers on its fourth call; nothing is started."""
    fake = tmp_path / "bin"
    fake.mkdir()
    calls = tmp_path / "curl-calls"
    (fake / "curl").write_text(f'#!/bin/sh\necho x >> "{calls}"\n'
                               f'[ "$(wc -l < "{calls}")" -ge 4 ]\n')          # healthy at call 4
    (fake / "fake-podman").write_text(
        '#!/bin/sh\ncase "$1 $2" in\n'
        '  "image inspect") exit 0 ;;\n'
        '  "container inspect") case "$*" in *-f*) echo true ;; *) exit 1 ;; esac ;;\n'  # none yet, then running
        '  "run "*) echo 0123abcd ;;\n'
        '  "logs "*) echo "INFO Starting to load model" ;;\n'
        'esac\n')
    for f in fake.iterdir():
        f.chmod(0o755)
    env = {"PATH": f"{fake}:{os.environ['PATH']}", "CONTAINER_ENGINE": "fake-podman",
           "ROOT": str(tmp_path), "CONTAINER_PORT": str(free_port()), "WORKSHOP_PROGRESS_EVERY": "1"}
    p = sh("bash", "labs/container/run.sh", env=env, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    waiting = [line for line in p.stdout.splitlines() if line.startswith("  waiting for /health: ")]
    assert waiting and all(line.endswith("| INFO Starting to load model") for line in waiting), p.stdout
    assert re.search(r"^healthy after \d+ s$", p.stdout, re.MULTILINE), p.stdout


def test_build_sh_ignores_the_pycache_a_server_leaves_in_labs_serve(tmp_path):
    """A server loads the tool parser plugin from ``labs/serve/``, and Python leaves a
    ``__pycache__`` folder there: build.sh then failed with ``cat: labs/serve/__pycache__: Is a
    directory`` and ``cp: -r not specified`` and no error line (seen in a page walkthrough), and
    the folder changed the image's hash. Run on a copy of its inputs with a fake engine that has
    every image: the same tag ("up to date") with and without the folder. Nothing is built. The
    copy has no ``.workshop/``, as a fresh clone: build.sh's lock file there failed too."""
    copy = tmp_path / "repo"
    for rel in ["pyproject.toml", "scripts/prepare_model.py", "scripts/vllm_cpu_cli.py",
                "labs/container/Containerfile", "labs/container/common.sh", "labs/container/build.sh",
                *(p.relative_to(ROOT).as_posix() for p in (ROOT / "labs/serve").iterdir() if p.is_file())]:
        (copy / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, copy / rel)
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "fake-podman").write_text("#!/bin/sh\nexit 0\n")   # every image exists; tag works
    (fake / "fake-podman").chmod(0o755)
    env = {**os.environ, "PATH": f"{fake}:{os.environ['PATH']}", "CONTAINER_ENGINE": "fake-podman",
           "BASE": "localhost/workshop-base:bookworm"}
    env.pop("ROOT", None)

    def build() -> subprocess.CompletedProcess:
        return subprocess.run(["bash", "labs/container/build.sh"], cwd=copy, env=env,
                              capture_output=True, text=True, timeout=60)

    clean = build()
    assert clean.returncode == 0 and "up to date" in clean.stdout, clean.stdout + clean.stderr
    (copy / "labs/serve/__pycache__").mkdir()
    (copy / "labs/serve/__pycache__/smollm2_tool_parser.cpython-311.pyc").write_bytes(b"\0" * 16)
    cached = build()
    assert cached.returncode == 0, cached.stdout + cached.stderr
    assert cached.stderr == "" and "up to date" in cached.stdout, cached.stdout + cached.stderr
    assert cached.stdout.splitlines()[-1] == clean.stdout.splitlines()[-1]


def test_check_py_rejects_an_option_without_naming_a_setting_it_ignores():
    """``check.py --foo``: one error and fix, exit 2, before any engine runs; the fix named
    VLLM_BASE_URL as its setting, which it never reads (issue 21, misleading fixes)."""
    p = sh(PYTHON, "labs/container/check.py", "--foo", env={"CONTAINER_ENGINE": "no-such-podman"},
           timeout=60)
    assert p.returncode == 2 and p.stdout == "", p.stdout + p.stderr
    assert p.stderr.startswith("error: python labs/container/check.py takes no arguments, not: --foo\n"
                               "  fix: run it without them: python labs/container/check.py"), p.stderr
    assert p.stderr.count("error:") == 1 and "VLLM_BASE_URL" not in p.stderr, p.stderr


def test_check_py_without_the_virtual_environment_says_to_activate_it(tmp_path: Path):
    """``python3 labs/container/check.py`` in a fresh shell (no ``source .venv/bin/activate``)
    was a ModuleNotFoundError traceback: a Python without the workshop's packages (a venv of its
    own, as bare as the system's python3) gets one error whose fix activates the environment."""
    bare = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    p = subprocess.run([str(bare / "bin" / "python"), "labs/container/check.py"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 1 and "Traceback" not in p.stderr, p.stderr
    assert p.stderr.count("error:") == 1 and "fix: source .venv/bin/activate" in p.stderr, p.stderr
