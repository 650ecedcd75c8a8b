"""A page typed in order leaves nothing behind that makes a later block fail.

The suite skips some blocks (a GPU, systemd, Docker, a Mac), but a reader types them. A block
that starts something long-lived (a detached container, ``labs/container/run.sh``, a systemd
service) must be undone by a later block of the page (``podman rm -f NAME``, ``systemctl disable
--now NAME``) before the next block starts anything, and by the end of the page: otherwise the
next start fails on a name or a port that is still taken ("a container named vllm-workshop exists
already"). Skipped blocks count like the others: this reads the page, it runs nothing.
"""
from __future__ import annotations

import re
import shlex

import pytest

import pages

#: ``bash labs/container/run.sh``: starts a detached container (named by ``WORKSHOP_CONTAINER``);
#: ``service.sh`` creates one of that name for a moment (to write the unit), so it needs the name free.
RUN_SH = re.compile(r"(?:^|\s)bash\s+labs/container/run\.sh\b")
SERVICE_SH = re.compile(r"(?:^|\s)bash\s+labs/container/service\.sh\b")


def _words(command: str) -> list[str]:
    try:
        return shlex.split(command.replace("\\\n", " "))
    except ValueError:
        return command.split()


def _option(words: list[str], *names: str) -> str | None:
    for i, w in enumerate(words):
        for n in names:
            if w == n and i + 1 < len(words):
                return words[i + 1]
            if w.startswith(n + "="):
                return w.split("=", 1)[1]
    return None


def effects(command: str) -> tuple[set[tuple[str, str]], set[tuple[str, str]], set[tuple[str, str]]]:
    """``(started, removed, needs_free)`` of one shell command line (possibly several, joined by
    ``&&``/``;``): ``(engine, name)`` of the containers and services it starts, removes, and
    needs absent (a name it creates for a moment)."""
    started, removed, needs = set(), set(), set()
    for part in re.split(r"&&|;|\n", command.replace("\\\n", " ")):
        words = [w for w in _words(part) if w != "sudo"]
        if not words:
            continue
        name = next((w.split("=", 1)[1] for w in words if w.startswith("WORKSHOP_CONTAINER=")),
                    "vllm-workshop")
        if RUN_SH.search(part):  # run.sh: a detached Podman container
            started.add(("podman", name))
        if SERVICE_SH.search(part):
            needs.add(("podman", name))
        if words[0] in ("podman", "docker") and len(words) > 1:
            engine, verb, rest = words[0], words[1], words[2:]
            if verb == "run" and {"-d", "--detach"} & set(rest):  # in the foreground, Ctrl+C ends it
                started.add((engine, _option(rest, "--name") or "?"))
            if verb == "rm":
                removed.update((engine, w) for w in rest if not w.startswith("-"))
        if words[0] == "systemctl" and len(words) > 2:
            verb, rest = words[1], words[2:]
            if verb == "start" or verb == "enable" and "--now" in rest:
                started.update(("systemd", w) for w in rest if not w.startswith("-"))
            if verb == "stop" or verb == "disable" and "--now" in rest:
                removed.update(("systemd", w) for w in rest if not w.startswith("-"))
    return started, removed, needs


def commands(fence: pages.Fence) -> list[str]:
    """The command lines a reader types from a ``bash`` or ``console`` block."""
    if fence.language == "bash":
        return [line for line in fence.body.replace("\\\n", " ").splitlines() if line.strip()]
    return [chunk.split("\n", 1)[0] for chunk in re.split(r"^\$ ", fence.body, flags=re.MULTILINE)[1:]]


def leftovers(text: str) -> list[str]:
    """What a page typed in order leaves running when the next block starts something, or at
    its end: one message per problem (empty when the page cleans up after itself)."""
    problems, running = [], {}   # (engine, name) -> line that started it
    for fence in pages.fences(text):
        if fence.language not in ("bash", "console"):
            continue
        for command in commands(fence):
            started, removed, needs = effects(command)
            for thing in removed:
                running.pop(thing, None)
            # a start clashes with anything still running (a name or a port); a name needs itself free
            for (engine, name), line in running.items():
                if started or (engine, name) in needs:
                    problems.append(f"line {fence.line} (`{command.splitlines()[0][:60]}`) runs while "
                                    f"{engine} {name}, started at line {line}, still runs: add a block "
                                    f"that removes it first")
            if started:
                running = {thing: fence.line for thing in started}
    problems += [f"{engine} {name}, started at line {line}, still runs at the end of the page: add a "
                 f"block that removes it" for (engine, name), line in running.items()]
    return problems


@pytest.mark.parametrize("lang", pages.LANGS)
@pytest.mark.parametrize("page", pages.pages("en"))
def test_a_page_typed_in_order_leaves_nothing_running(lang, page):
    """Every container or service a block starts, skipped blocks included, is removed by a later
    block before the next start and by the end of the page."""
    assert leftovers(pages.read(lang, page)) == []


def test_the_check_sees_a_skipped_start_that_nobody_undoes():
    """The check itself: a skipped ``run.sh`` followed by another start is reported; the same
    page with a removal between them is not."""
    page = ('<!-- skip: next "x" -->\n```bash\nMODEL_DIR=m bash labs/container/run.sh\n```\n\n'
            '```console\n$ bash labs/container/run.sh\nok\n```\n')
    assert len(leftovers(page)) == 2  # the first clashes with the second, which also stays
    fixed = page.replace("```console", "```console\n$ podman rm -f vllm-workshop\n...\n```\n\n```console", 1)
    assert leftovers(fixed + "\n```bash\npodman rm -f vllm-workshop\n```\n") == []
    assert effects("sudo systemctl enable --now vllm-workshop")[0] == {("systemd", "vllm-workshop")}
    assert effects("docker run -d --name x img") == ({("docker", "x")}, set(), set())
    assert leftovers("```bash\nbash labs/container/run.sh\n```\n```console\n$ bash labs/container/service.sh\n```\n"
                     "```bash\npodman rm -f vllm-workshop\n```\n")[0].startswith("line 4 (`bash labs/container/service.sh`)")
    assert effects("docker run --rm -p 8000:8000 img")[0] == set()   # in the foreground: Ctrl+C ends it


LAB_RUN = re.compile(r"(?:^|[\s;&|(])(?:bash|python3?)\s+(labs/[\w./-]+\.(?:sh|py))\b")


def shown_after_use(text: str) -> list[str]:
    """Labs a page runs after an earlier block ran a lab that runs them itself (the reader would
    run the same step twice, and read its explanation after the fact)."""
    problems, ran = [], []   # ran: (lab, line) in page order
    for fence in pages.fences(text):
        if fence.language not in ("bash", "console"):
            continue
        for command in commands(fence):
            for lab in LAB_RUN.findall(command):
                for earlier, line in ran:
                    source = (pages.ROOT / earlier).read_text(encoding="utf-8") if (pages.ROOT / earlier).is_file() else ""
                    if earlier != lab and lab in LAB_RUN.findall(source):
                        problems.append(f"line {fence.line} runs {lab}, which {earlier} (line {line}) "
                                        f"already ran: show {lab} first")
                ran.append((lab, fence.line))
    return problems


@pytest.mark.parametrize("lang", pages.LANGS)
@pytest.mark.parametrize("page", pages.pages("en"))
def test_a_step_is_shown_before_the_script_that_runs_it(lang, page):
    """A lab that another lab runs (``build.sh`` runs ``base.sh``) comes first on the page."""
    assert shown_after_use(pages.read(lang, page)) == []
