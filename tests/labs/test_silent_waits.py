"""A lab that waits for a vLLM server to load says so while it waits: never a silent terminal.

A server start takes 30 s on an idle 2-core machine and minutes on a busy one.
``scripts/server.py start`` prints the seconds waited and the log's last line every 15 s, and
``Server.wait`` of ``labs/workshop_server.py`` does when given ``progress`` (``workshop_server.say``,
on stderr). These checks read the labs' source: every server start of a bash lab keeps that output
visible, and every ``Server.wait`` of a Python lab passes ``progress``. (A model loading into a lab's
own process, ``LLM(...)``, is checked by ``tests/labs/test_workshop.py``.)
"""
from __future__ import annotations

import ast
import re

import pytest

from support import ROOT


def shell_server_starts() -> list[tuple[str, str]]:
    """``(lab, command)`` of every ``scripts/server.py start`` in a bash lab, its backslash
    continuations joined: a vLLM server loading (30 s to minutes on a CPU)."""
    found = []
    for path in sorted((ROOT / "labs").rglob("*.sh")):
        text = path.read_text(encoding="utf-8").replace("\\\n", " ")
        found += [(path.relative_to(ROOT).as_posix(), line.strip()) for line in text.splitlines()
                  if "scripts/server.py start" in line and not line.lstrip().startswith("#")]
    return found


def test_the_walk_finds_the_bash_server_starts():
    assert "labs/module1/api_key.sh" in {lab for lab, _ in shell_server_starts()}


@pytest.mark.parametrize(("lab", "command"), shell_server_starts())
def test_every_bash_server_start_shows_its_progress(lab, command):
    """``scripts/server.py start`` prints the seconds waited and the log's last line until the
    server answers; a lab that sends that to /dev/null leaves the learner in front of a silent
    terminal for 30 s to 4 minutes (Module 1's api_key.sh did). Stderr (``>&2``) is fine."""
    assert not re.search(r"(?<![0-9&])(&)?>\s*/dev/null", command), f"{lab}: {command}"


def python_server_waits() -> list[tuple[str, int, bool]]:
    """``(lab, line, passes progress)`` of every ``.wait(...)`` on a vLLM server of a Python lab:
    a name bound to ``Server(...)`` of ``labs/workshop_server.py`` without ``command=`` (the CPU
    profile, which loads a model; a router given its own command starts in seconds)."""
    found = []
    for path in sorted((ROOT / "labs").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        servers = set()
        for node in ast.walk(tree):
            if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
                    and getattr(node.value.func, "attr", getattr(node.value.func, "id", None)) == "Server"
                    and not any(k.arg == "command" for k in node.value.keywords)):
                servers |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "wait" and isinstance(node.func.value, ast.Name)
                    and node.func.value.id in servers):
                found.append((path.relative_to(ROOT).as_posix(), node.lineno,
                              any(k.arg == "progress" for k in node.keywords)))
    return found


def test_the_walk_finds_the_python_server_waits():
    assert "labs/module5/tune.py" in {lab for lab, _, _ in python_server_waits()}


@pytest.mark.parametrize(("lab", "line", "progress"), python_server_waits())
def test_every_python_server_wait_shows_its_progress(lab, line, progress):
    """``Server.wait`` prints nothing unless given ``progress`` (``workshop_server.say``: a line
    every 15 s on stderr); Module 5's tune.py waited for two servers in silence, up to two minutes
    each for the torch.compile one."""
    assert progress, f"{lab}:{line}: Server.wait(...) without progress=workshop_server.say"
