"""Every `vllm serve` command on every page, every vLLM container run (on a page or in a Kubernetes
manifest under labs/), and the flags of Module 5's tuning experiments (``labs/module5/tune.py``)
parse with vLLM's own parser.

These commands mostly cannot run here (they need a GPU), so the installed vLLM's argument parser
checks them instead: a misspelt, removed or inconsistent flag fails the build.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pages
import plugins.docs as plugin_docs
from support import load_lab

SERVE = re.compile(r"\bvllm serve\b|(^|[\s/])vllm/vllm-openai\b")


def logical_lines(script: str) -> list[str]:
    """Shell lines with backslash continuations joined; ``$ `` prompts removed."""
    joined = re.sub(r"\\\n", " ", script)
    return [re.sub(r"^\s*\$ ", "", line) for line in joined.splitlines()]


def serve_commands() -> list[tuple[str, str]]:
    """``(where, command)`` for each serve command in a bash/console fence of any page."""
    found = []
    for lang in pages.LANGS:
        for page in pages.pages(lang):
            for fence in pages.fences(pages.read(lang, page)):
                if fence.language not in ("bash", "console"):
                    continue
                body = plugin_docs.resolve_snippets(fence.body)
                if fence.language == "console":  # the commands, not their output
                    body = "\n".join(c for c, _ in plugin_docs.console_commands(body) or [])
                # a bash array of flags defined in the block ("${tools[@]}" in serve_cpu.sh)
                for name, words in re.findall(r"^(\w+)=\(([^)]*)\)", body, re.MULTILINE):
                    body = body.replace(f'"${{{name}[@]}}"', " ".join(words.split()))
                for line in logical_lines(body):
                    if SERVE.search(line) and not line.lstrip().startswith("#"):
                        found.append((f"{lang}/{page}:{fence.line}", line.strip()))
    return found


def tuning_commands() -> list[tuple[str, str]]:
    """``(where, command)``: the CPU profile's ``vllm serve`` plus each tuning experiment's flags."""
    import shlex

    EXPERIMENTS = load_lab("labs/module5/tune.py").EXPERIMENTS

    return [(f"labs/module5/tune.py:{name}", "vllm serve some/model " + shlex.join(flags))
            for name, (_, flags, _, _) in EXPERIMENTS.items() if flags]


def manifest_commands() -> list[tuple[str, str]]:
    """``(where, command)``: ``vllm serve`` plus the args of each ``vllm/vllm-openai`` container in
    the Kubernetes manifests under ``labs/`` (the image's entry point is ``vllm serve``)."""
    import shlex

    import yaml

    found = []
    for path in sorted((pages.ROOT / "labs").rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            spec = ((doc or {}).get("spec") or {}).get("template", {}).get("spec", {})
            for c in spec.get("containers", []):
                if "vllm/vllm-openai" in c.get("image", ""):
                    found.append((f"{path.relative_to(pages.ROOT)}:{c['name']}",
                                  "vllm serve " + shlex.join(c.get("args", []))))
    return found


COMMANDS = serve_commands() + tuning_commands() + manifest_commands()


def test_pages_have_serve_commands():
    """The scan finds the commands it is meant to check (else the next test checks nothing)."""
    assert len(COMMANDS) >= 4, COMMANDS
    assert any("vllm/vllm-openai" in c for _, c in COMMANDS), "no container command found"


MISSPELT = "vllm serve some/model --enable-auto-tool-choise"


def test_serve_commands_parse():
    """All commands in one vLLM process (importing vLLM takes about 10 s), with one misspelt
    command added to prove that the check can fail."""
    unique = sorted({c for _, c in COMMANDS})
    p = subprocess.run([sys.executable, str(pages.ROOT / "scripts" / "check_serve_args.py"), "--json"],
                       input=json.dumps(unique + [MISSPELT]), capture_output=True, text=True, timeout=300)
    results = [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]
    assert len(results) == len(unique) + 1, p.stderr[-3000:]
    control = results.pop()
    assert not control["ok"] and "unrecognized arguments: --enable-auto-tool-choise" in control["error"]
    bad = [f"{where}: {r['command']}\n  {r['error']}" for r in results if not r["ok"]
           for where, c in COMMANDS if c == r["command"]]
    assert not bad, "\n".join(bad)


CONTAINER_RUN = re.compile(r"^(sudo\s+)?(podman|docker)\s+(run|create)\b")


def container_commands() -> list[tuple[str, str]]:
    """``(where, command)`` for each ``podman``/``docker`` ``run``/``create`` in a bash/console
    fence of any page (the GPU commands and the Docker equivalents, which do not run here)."""
    found = []
    for lang in pages.LANGS:
        for page in pages.pages(lang):
            for fence in pages.fences(pages.read(lang, page)):
                if fence.language in ("bash", "console"):
                    for line in logical_lines(plugin_docs.resolve_snippets(fence.body)):
                        if CONTAINER_RUN.match(line.strip()):
                            found.append((f"{lang}/{page}:{fence.line}", line.strip()))
    return found


def test_container_commands_are_valid():
    """Every container run on a page: options its engine knows, valid values, a valid image
    reference (scripts/check_container_args.py); misspelt controls prove that the check fails."""
    from check_container_args import check

    commands = container_commands()
    assert any("containers.md" in where for where, _ in commands), "no command found on containers.md"
    bad = [f"{where}: {c}\n  {r['error']}" for where, c in commands if not (r := check(c))["ok"]]
    assert not bad, "\n".join(bad)
    for control in ("podman run --gpus all docker.io/vllm/vllm-openai:v0.32.0 m",   # Docker's flag
                    "docker run --restart sometimes localhost/vllm-workshop-cpu:latest",
                    "docker run -p 8000:8000 Docker.io/Vllm/vllm-openai m"):
        assert not check(control)["ok"], control
