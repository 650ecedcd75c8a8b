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


def router_args() -> list[list[str]]:
    """The args of each container that runs ``vllm-router`` in the manifests, with the
    ``$(POD_NAMESPACE)`` that Kubernetes expands replaced by a namespace."""
    import yaml

    found = []
    for path in MANIFESTS:
        for doc in yaml.safe_load_all(path.read_text()):
            spec = ((doc or {}).get("spec") or {}).get("template", {}).get("spec", {})
            for c in spec.get("containers", []):
                if c.get("command") == ["vllm-router"]:
                    found.append([a.replace("$(POD_NAMESPACE)", "default") for a in c.get("args", [])])
    return found


def test_the_routers_arguments_parse_with_vllm_routers_own_parser():
    """vllm-router's Python entry point parses them (``vllm_router.launch_router``), and finds the
    replicas by the label the vLLM Deployment's pods carry; a misspelt flag fails the same parser."""
    import yaml
    from vllm_router.launch_router import parse_router_args

    found = router_args()
    assert found, "no vllm-router container in the manifests"
    labels = [doc["spec"]["template"]["metadata"]["labels"] for p in MANIFESTS
              for doc in yaml.safe_load_all(p.read_text())
              if doc and doc.get("kind") == "Deployment" and doc["metadata"]["name"] == "vllm"]
    for args in found:
        parsed = parse_router_args(args)
        assert parsed.service_discovery and parsed.policy == "cache_aware"
        assert parsed.service_discovery_port == 8000
        assert all(labels[0].get(k) == v for k, v in parsed.selector.items()) and parsed.selector
    try:
        parse_router_args(found[0] + ["--polcy", "round_robin"])
    except SystemExit:
        pass
    else:
        raise AssertionError("a misspelt flag parsed")
