"""Check ``vllm serve`` command lines with the installed vLLM's own argument parser.

Usage::

    python scripts/check_serve_args.py 'vllm serve MODEL --flag ...' ['docker run ... IMAGE MODEL --flag' ...]
    python scripts/check_serve_args.py --json < commands.json   # a JSON list of strings

Each command is split like a shell would (``shlex``), after replacing ``${VAR:-default}`` with its
default, a ``$...PORT`` variable with ``8000``, other ``$VAR`` / ``"$@"`` with placeholders. ``docker run`` / ``podman run`` lines are
checked from the ``vllm/vllm-openai`` image name on, because that image's entry point is
``vllm serve``. Parsing and validation are vLLM's own (``ServeSubcommand.subparser_init`` and
``validate`` from ``vllm/entrypoints/cli/serve.py``), so a misspelt or removed flag fails here
exactly as it would on a GPU machine.

Output: one JSON object per command on stdout, ``{"command": ..., "ok": bool, "error": str}``.
Exit status: 0 when every command parses, 1 otherwise.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import shlex
import sys

IMAGE = re.compile(r"(^|/)vllm/vllm-openai(:[\w.\-]+)?$")


def serve_argv(command: str) -> list[str]:
    """The arguments after ``vllm serve`` (or after the vLLM image), shell variables expanded.

    Raises ``ValueError`` when the command is neither a ``vllm serve`` nor a container run of
    the ``vllm/vllm-openai`` image.
    """
    text = command.replace("\\\n", " ")
    text = re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", text)
    text = text.replace('"$@"', "")
    text = re.sub(r"\$\(\([^)]*\)\)", "0", text)
    text = re.sub(r"\$\{?\w*PORT\}?", "8000", text)  # --port "$EMBED_PORT": a port is a number
    text = re.sub(r"\$\{?(\w+)\}?", r"\1", text)
    words = shlex.split(text, comments=True)
    for i, word in enumerate(words[:-1]):
        if word == "vllm" and words[i + 1] == "serve":
            return words[i + 2:]
    for i, word in enumerate(words):
        if IMAGE.search(word) and words[0] in ("docker", "podman"):
            return words[i + 1:]
    raise ValueError(f"not a vllm serve command: {command!r}")


def check(command: str) -> dict:
    """Parse and validate one command; return ``{"command", "ok", "error"}``."""
    from vllm.entrypoints.cli.serve import ServeSubcommand
    from vllm.utils.argparse_utils import FlexibleArgumentParser

    parser = FlexibleArgumentParser(prog="vllm")
    sub = parser.add_subparsers(dest="subparser")
    serve = ServeSubcommand()
    serve.subparser_init(sub)
    err = io.StringIO()
    try:
        argv = serve_argv(command)
        with contextlib.redirect_stderr(err):
            args = parser.parse_args(["serve", *argv])
        serve.validate(args)
    except SystemExit:
        return {"command": command, "ok": False, "error": err.getvalue().strip()[-2000:]}
    except Exception as exc:  # noqa: BLE001 - vLLM validation raises several types
        return {"command": command, "ok": False, "error": f"{type(exc).__name__}: {exc}"}
    return {"command": command, "ok": True, "error": ""}


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; see the module docstring."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("commands", nargs="*")
    ap.add_argument("--json", action="store_true", help="read a JSON list of commands on stdin")
    args = ap.parse_args(argv)
    commands = json.load(sys.stdin) if args.json else args.commands
    results = [check(c) for c in commands]
    for r in results:
        print(json.dumps(r))
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
