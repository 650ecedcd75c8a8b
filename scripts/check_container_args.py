"""Check ``podman run`` / ``docker run`` (and ``create``) command lines without running them.

Usage::

    python scripts/check_container_args.py 'podman run --rm -p 8000:8000 IMAGE ...' [...]

For each command: every option must be one that engine's ``run`` knows (the table below, from
``podman run --help`` of Podman 4.3.1 and ``docker run --help`` of Docker 28; ``--gpus`` is
Docker's, Podman 4.3 gives GPUs with ``--device nvidia.com/gpu=all``, CDI), each option that takes
a value has one and the common ones have a valid value (``-p [[ip:][hostPort]:]containerPort``,
``--cpus`` a positive number, ``--memory`` a size such as ``6g``, ``--restart`` a policy, ``-v``
an absolute container path), and the image reference follows the OCI distribution grammar
(``[registry[:port]/]path[:tag][@digest]``, lower-case path; a registry is a first part with a
``.`` or a ``:`` or ``localhost``). Shell variables are replaced as in check_serve_args.py.

Output: one JSON object per command, ``{"command", "ok", "error", "image", "args"}`` (``args``:
what follows the image, i.e. the entry point's arguments). Exit status 0 when all are valid, 1
otherwise. ``check(command) -> dict`` is the same from Python.
"""
from __future__ import annotations

import json
import re
import shlex
import sys

#: Options that take a value (both engines unless noted).
VALUED = {"-p", "--publish", "-v", "--volume", "-e", "--env", "--env-file", "--name", "--cpus",
          "-m", "--memory", "--memory-swap", "--device", "--ipc", "--restart", "--shm-size",
          "--network", "--net", "--ulimit", "--health-cmd", "--health-interval", "-u", "--user",
          "--entrypoint", "-w", "--workdir", "--mount", "-l", "--label", "--cpuset-cpus",
          "--pull", "--platform", "--security-opt", "--hostname", "--add-host", "--tmpfs",
          "--log-driver", "--stop-timeout", "--gpus"}
FLAGS = {"-d", "--detach", "--rm", "--init", "-i", "--interactive", "-t", "--tty", "-it",
         "--privileged", "--read-only"}
ONLY = {"--gpus": "docker"}  # options one engine lacks
RESTART = re.compile(r"^(no|always|unless-stopped|on-failure(:\d+)?)$")
PUBLISH = re.compile(r"^(?:(?:\[[0-9a-fA-F:.]+\]|[\d.]+)?:)?(?:\d{1,5}(?:-\d{1,5})?)?:?\d{1,5}(?:-\d{1,5})?(?:/(?:tcp|udp|sctp))?$")
SIZE = re.compile(r"^\d+(?:\.\d+)?[bkmgBKMG]?$")
_COMP = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_DOMAIN = r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::\d+)?"
IMAGE = re.compile(rf"^(?:(?P<domain>{_DOMAIN})/)?(?P<path>{_COMP}(?:/{_COMP})*)"
                   r"(?::(?P<tag>\w[\w.-]{0,127}))?(?:@(?P<digest>[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?$")


def image_problem(ref: str) -> str | None:
    """Why ``ref`` is not a valid image reference, or ``None``."""
    m = IMAGE.match(ref)
    if not m:
        return f"not a valid image reference: {ref!r} (lower-case [registry/]path[:tag])"
    first = ref.split("/", 1)[0]
    if m.group("domain") is None and "/" in ref and ("." in first or ":" in first):
        return f"not a valid image reference: {ref!r}"
    return None


def value_problem(opt: str, value: str) -> str | None:
    """Why ``value`` is not valid for ``opt``, or ``None`` (only the options the pages use)."""
    if opt in ("-p", "--publish") and not PUBLISH.match(value):
        return f"{opt} {value}: want [[ip:][hostPort]:]containerPort"
    if opt == "--cpus" and not re.fullmatch(r"\d+(\.\d+)?", value) or opt == "--cpus" and float(value) <= 0:
        return f"--cpus {value}: want a positive number"
    if opt in ("-m", "--memory", "--shm-size") and not SIZE.match(value):
        return f"{opt} {value}: want a size such as 6g"
    if opt == "--restart" and not RESTART.match(value):
        return f"--restart {value}: want no, always, unless-stopped or on-failure[:N]"
    if opt in ("-v", "--volume"):
        parts = value.split(":")
        target = parts[1] if len(parts) > 1 else parts[0]
        if not target.startswith("/"):
            return f"{opt} {value}: the container path must be absolute"
    if opt in ("-e", "--env") and not re.match(r"^[A-Za-z_]\w*(=|$)", value):
        return f"{opt} {value}: want NAME or NAME=value"
    if opt == "--ipc" and not re.fullmatch(r"host|private|shareable|none|container:\S+|ns:\S+", value):
        return f"--ipc {value}: want host, private, shareable, none or container:NAME"
    return None


def words_of(command: str) -> list[str]:
    """The command's words, shell variables replaced by placeholders (as check_serve_args.py)."""
    text = command.replace("\\\n", " ")
    text = re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", text)
    text = re.sub(r"\$\{?\w*PORT\}?", "8000", text)
    text = re.sub(r"\$\(\([^)]*\)\)", "0", text)
    text = re.sub(r"\$\{?(\w+)\}?", r"\1", text)
    return shlex.split(text, comments=True)


def check(command: str) -> dict:
    """Check one command; see the module docstring."""
    result = {"command": command, "ok": False, "error": "", "image": "", "args": []}
    words = words_of(command)
    if words[:1] == ["sudo"]:
        words = words[1:]
    if len(words) < 3 or words[0] not in ("podman", "docker") or words[1] not in ("run", "create"):
        result["error"] = "not a podman/docker run or create command"
        return result
    engine, i = words[0], 2
    while i < len(words) and words[i].startswith("-"):
        word = words[i]
        opt, eq, value = word.partition("=") if word.startswith("--") else (word, "", "")
        if opt not in VALUED and opt not in FLAGS:
            result["error"] = f"{engine} run has no option {opt}"
            return result
        if ONLY.get(opt, engine) != engine:
            result["error"] = f"{opt} is {ONLY[opt]}'s option; {engine} does not have it"
            return result
        if opt in VALUED:
            if not eq:
                i += 1
                if i >= len(words):
                    result["error"] = f"{opt} needs a value"
                    return result
                value = words[i]
            problem = value_problem(opt, value)
            if problem:
                result["error"] = problem
                return result
        i += 1
    if i >= len(words):
        result["error"] = "no image"
        return result
    result["image"], result["args"] = words[i], words[i + 1:]
    problem = image_problem(words[i])
    result["error"] = problem or ""
    result["ok"] = problem is None
    return result


def main(argv: list[str]) -> int:
    """Command-line entry point; see the module docstring."""
    results = [check(c) for c in argv]
    for r in results:
        print(json.dumps(r))
    return 0 if results and all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
