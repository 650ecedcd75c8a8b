"""Scaling out: the Kubernetes manifest the page shows is valid Kubernetes, offline.

``kubernetes-validate --strict`` checks every document of ``labs/scaling/*.yaml`` against the
Kubernetes 1.37 schemas bundled with it (no cluster, no network), rejecting unknown fields; a
copy with a misspelt field fails the same check. The vLLM arguments of its containers are parsed
by vLLM's own parser in test_vllm_commands.py. Not run here: the manifest on a cluster, Ray, and
every multi-GPU command (no GPU).
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from support import ROOT  # noqa: E402
MANIFESTS = sorted((ROOT / "labs" / "scaling").glob("*.yaml"))
VALIDATE = [str(Path(sys.executable).with_name("kubernetes-validate")), "--strict", "--quiet"]


def test_the_manifests_are_valid_kubernetes(tmp_path):
    assert MANIFESTS
    ok = subprocess.run(VALIDATE + [str(p) for p in MANIFESTS], capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text(MANIFESTS[0].read_text().replace("readinessProbe:", "readynessProbe:"))
    bad = subprocess.run(VALIDATE + [str(broken)], capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "readynessProbe" in bad.stdout + bad.stderr
