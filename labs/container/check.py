"""Can this machine run the workshop's containers? One answer, for the page and the tests.

Usage::

    python labs/container/check.py          # prints "ok" (exit 0) or the problem (exit 1)

    # from Python, by path (labs/ is not a package):
    spec = importlib.util.spec_from_file_location("container_check", "labs/container/check.py")
    check = importlib.util.module_from_spec(spec); spec.loader.exec_module(check)
    problem() -> str | None

``check.problem(engine="podman", timeout_s=180)`` returns ``None`` when ``ENGINE run --rm --entrypoint true IMAGE``
works, else one line: what is wrong, then ``fix: ...`` with the command that fixes it.
IMAGE is the first that exists of: the workshop image (``localhost/vllm-workshop-cpu:latest``,
made by ``labs/container/build.sh``), the local base (``localhost/workshop-base:bookworm``, made
by ``labs/container/base.sh``), the Containerfile's default base. With none of them (a machine
that has not built yet) it asks ``ENGINE info`` instead: the engine answers, so the page goes on
to build (a runtime that cannot run containers then fails the build's first ``RUN``, with its
message). The run goes through
``labs/container/common.sh``, so it uses the same engine settings as the labs (the sandbox's
``containers.conf``, where one is needed). Takes about 1 s when the answer is yes.

The tests skip the container tests with this reason (``pytest -ra`` lists it); the page
``docs/*/containers.md`` skips its container blocks with it.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORKSHOP_IMAGE = "localhost/vllm-workshop-cpu:latest"
LOCAL_BASE = "localhost/workshop-base:bookworm"
INSTALL = "sudo apt-get install -y podman runc mmdebstrap (or: bash scripts/install_podman.sh)"


def default_base() -> str:
    """The ``ARG BASE=`` default of the Containerfile (its one definition)."""
    text = (ROOT / "labs" / "container" / "Containerfile").read_text()
    return re.search(r"^ARG BASE=(\S+)", text, re.MULTILINE).group(1)


def _engine(engine: str, script: str, timeout_s: float) -> subprocess.CompletedProcess:
    """Run ``script`` in bash from the repository root after sourcing common.sh."""
    return subprocess.run(["bash", "-c", f"source labs/container/common.sh && {script}"], cwd=ROOT,
                          env={**os.environ, "CONTAINER_ENGINE": engine},
                          capture_output=True, text=True, timeout=timeout_s)


def problem(engine: str = "podman", timeout_s: float = 180) -> str | None:
    """``None`` when ``engine`` can run the workshop's containers here, else a one-line reason
    ending in ``fix: ...`` (see the module docstring)."""
    if shutil.which(engine) is None:
        return f"{engine} is not installed; fix: {INSTALL}"
    try:
        for image in (WORKSHOP_IMAGE, LOCAL_BASE, default_base()):
            if _engine(engine, f'"$ENGINE" image inspect {image} >/dev/null', 60).returncode == 0:
                break
        else:  # nothing built yet: the engine answering is all that can be checked
            info = _engine(engine, '"$ENGINE" info >/dev/null', 60)
            if info.returncode != 0:
                last = (info.stderr.strip().splitlines() or ["(no message)"])[-1][:300]
                return f"{engine} does not work here: {last}; fix: check it with: {engine} info"
            return None
        run = _engine(engine, f'"$ENGINE" run --rm --entrypoint true {image}', timeout_s)
    except subprocess.TimeoutExpired:
        return f"{engine} did not answer in {timeout_s:.0f} s; fix: check it with: {engine} info"
    if run.returncode != 0:
        last = (run.stderr.strip().splitlines() or ["(no message)"])[-1][:300]
        return (f"{engine} cannot run a container here: {last}; fix: read labs/container/common.sh "
                f"(sandbox limits), then try: {engine} run --rm --entrypoint true {image}")
    return None


if __name__ == "__main__":
    try:
        import workshop
    except ImportError as exc:  # a Python without the workshop's packages: the venv is not active
        print(f"error: {sys.executable} cannot load the workshop's helpers ({exc}): the workshop's "
              "virtual environment is not active.\n  fix: source .venv/bin/activate  (in the "
              "workshop folder; ./scripts/start creates .venv), then run it again", file=sys.stderr)
        sys.exit(1)
    workshop.no_options(settings=None)  # it takes none and reads no setting: error/fix
    reason = problem()
    print(reason or "ok")
    sys.exit(1 if reason else 0)
