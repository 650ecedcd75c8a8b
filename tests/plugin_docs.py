"""pytest plugin: every fenced block of every page in ``docs/{en,zh}`` runs against the live server.

Registered in pyproject.toml (``-p plugin_docs``); collection is done by Sybil. What runs how:

``python``
    ``>>>`` blocks are doctests. A block made only of includes from one lab, whole
    (``--8<-- "labs/module1/chat.py"``) or by section (``--8<-- "labs/module2/x.py:request"``),
    runs that lab as ``python labs/module2/x.py``, the command a learner types: a section's code
    is checked by running the program it belongs to. A lab runs once per page; later blocks from
    the same lab reuse its result. Any other block runs in the page's namespace, with ``--8<--``
    includes resolved by the same pymdownx.snippets settings MkDocs uses.
``bash``
    runs with ``bash -euo pipefail`` from the repository root; a non-zero exit fails.
``console``
    each ``$ command`` line runs; the lines after it are its expected output, stdout and stderr
    interleaved as in a terminal (``...`` matches anything, a line of just ``...`` any number of
    lines, whitespace is normalised); a non-zero exit fails.
``text`` with ``title="Output"``
    the expected stdout of the block before it, compared the same way.
``text`` with ``title="Server log"``
    lines that must appear, in order, in the log of the server this machine started.

Blocks are skipped only with ``<!-- skip: next "reason" -->``; a skip without a reason fails,
and ``tests/test_pages.py`` fails on any fence this plugin does not collect.
All examples of a page share one namespace and run in page order.
"""
from __future__ import annotations

import contextlib
import doctest
import io
import os
import re
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import pytest
from sybil import Example, Region, Sybil
from sybil.evaluators.doctest import DocTestEvaluator
from sybil.parsers.abstract import AbstractCodeBlockParser
from sybil.parsers.abstract.doctest import DocTestStringParser
from sybil.parsers.markdown import SkipParser
from sybil.parsers.markdown.lexers import RawFencedCodeBlockLexer

ROOT = Path(__file__).resolve().parents[1]
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
CHECKER = doctest.OutputChecker()
TIMEOUT_S = 600
LAB_INCLUDE = re.compile(r'^\s*--8<--\s+"(?P<path>labs/[^":]+\.py)(?::[\w-]+)?"\s*$')
#: The fence languages this plugin runs; tests/test_pages.py fails on any other.
LANGUAGES = ("python", "bash", "console", "text")

# ------------------------------------------------------------------ snippets, as MkDocs does


@lru_cache
def _snippet_preprocessor():
    """pymdownx.snippets' preprocessor configured exactly as in mkdocs.yml."""
    import markdown
    from mkdocs.config import load_config

    cfg = load_config(str(ROOT / "mkdocs.yml"))
    opts = dict(cfg["mdx_configs"].get("pymdownx.snippets", {}))
    md = markdown.Markdown(extensions=["pymdownx.snippets"],
                           extension_configs={"pymdownx.snippets": opts})
    return md.preprocessors["snippet"]


def resolve_snippets(source: str) -> str:
    """``source`` with every ``--8<--`` line replaced by the file or section it names."""
    if "--8<--" not in source:
        return source
    return "\n".join(_snippet_preprocessor().run(source.splitlines())) + "\n"


# ------------------------------------------------------------------ fences with attributes

# Material fences carry attributes (```python title="labs/x.py"); Sybil's stock pattern would
# take the whole info string as the language and silently skip the block.
INFO = re.compile(r"(?P<language>[\w+-]+)(?:[ \t]+(?P<attrs>[^\n]*))?$\n", re.MULTILINE)


def fence_lexer() -> RawFencedCodeBlockLexer:
    """A fenced-block lexer whose regions keep the language and the attribute string."""
    return RawFencedCodeBlockLexer(
        info_pattern=INFO, mapping={"language": "arguments", "source": "source", "attrs": "attrs"})


class FenceParser(AbstractCodeBlockParser):
    """Regions for fences of one ``language``, evaluated by ``evaluator``."""

    def __init__(self, language: str, evaluator):
        super().__init__([fence_lexer()], language, evaluator)


def _attrs(example: Example) -> str:
    return example.region.lexemes.get("attrs") or ""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{ROOT / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def _remember(example: Example, stdout: str) -> None:
    example.namespace["_stdout"] = stdout


def _shell(cmd: str, *, strict: bool, merge: bool = False) -> subprocess.CompletedProcess:
    """Run ``cmd`` with bash from the repository root; ``merge`` interleaves stderr into stdout."""
    args = ["bash", "-euo", "pipefail", "-c", cmd] if strict else ["bash", "-o", "pipefail", "-c", cmd]
    return subprocess.run(args, cwd=ROOT, env=_env(), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT if merge else subprocess.PIPE, text=True,
                          timeout=TIMEOUT_S, stdin=subprocess.DEVNULL)


# ------------------------------------------------------------------ evaluators


def lab_of(source: str) -> str | None:
    """The lab path when every non-blank line of ``source`` includes (part of) that one lab."""
    lines = [line for line in source.splitlines() if line.strip()]
    paths = {m["path"] if (m := LAB_INCLUDE.match(line)) else None for line in lines}
    return paths.pop() if len(paths) == 1 and None not in paths else None


def run_python(example: Example) -> str | None:
    """Run a python block (see the module docstring); return a failure message or ``None``."""
    example.namespace["vllm_server"]  # the server must be up (fixture)
    lab = lab_of(example.parsed)
    if lab:
        runs = example.namespace.setdefault("_lab_runs", {})
        if lab not in runs:
            runs[lab] = subprocess.run([sys.executable, lab], cwd=ROOT, env=_env(),
                                       capture_output=True, text=True, timeout=TIMEOUT_S,
                                       stdin=subprocess.DEVNULL)
        p = runs[lab]
        _remember(example, p.stdout)
        if p.returncode:
            return (f"python {lab} exited {p.returncode}\n"
                    f"stdout:\n{p.stdout}\nstderr:\n{p.stderr}")
        return None
    source = resolve_snippets(example.parsed)
    code = compile("\n" * example.line + source, example.path, "exec")
    out = io.StringIO()
    example.namespace.setdefault("__name__", "__main__")
    try:
        with contextlib.redirect_stdout(out):
            exec(code, example.namespace)  # noqa: S102 - running the page's code is the point
    except SystemExit as exc:
        if exc.code not in (0, None):
            return f"the block exited with status {exc.code}\nstdout:\n{out.getvalue()}"
    finally:
        _remember(example, out.getvalue())
        example.namespace.pop("__builtins__", None)
    return None


class PythonParser:
    """``python`` fences: ``>>>`` blocks become doctests, others run with :func:`run_python`."""

    def __init__(self):
        self.doctest = DocTestStringParser(DocTestEvaluator(FLAGS))
        self.blocks = FenceParser("python", run_python)

    def __call__(self, document):
        for region in self.blocks(document):
            source = region.parsed
            if source.lstrip().startswith(">>>"):
                for r in self.doctest(source, document.path):
                    r.adjust(region, source)
                    yield r
            else:
                yield region


def run_bash(example: Example) -> str | None:
    """Run a ``bash`` block; a non-zero exit fails."""
    example.namespace["vllm_server"]
    p = _shell(resolve_snippets(example.parsed), strict=True)
    _remember(example, p.stdout)
    if p.returncode:
        return f"exit {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}"
    return None


def _lines_ellipsis(want: str) -> str:
    """Let a line that is only ``...`` stand for any number of lines, none included.

    doctest's ELLIPSIS would need the newline around it to be present in the output too.
    """
    out, after_gap = "", False
    for line in want.strip("\n").split("\n"):
        if line.strip() == "...":
            out, after_gap = out + "...", True
        else:
            out += ("\n" if out and not after_gap else "") + line
            after_gap = False
    return out + "\n"


def _mismatch(what: str, want: str, got: str) -> str | None:
    want = _lines_ellipsis(want)
    if CHECKER.check_output(want, got, FLAGS):
        return None
    return f"{what}\n" + CHECKER.output_difference(doctest.Example("", want), got, FLAGS)


def run_console(example: Example) -> str | None:
    """Run each ``$ command`` of a ``console`` block and compare its output (stdout + stderr)."""
    example.namespace["vllm_server"]
    chunks = re.split(r"^\$ ", example.parsed, flags=re.MULTILINE)
    if chunks[0].strip() or len(chunks) < 2:
        return "a console block must start with '$ command'"
    for chunk in chunks[1:]:
        lines = chunk.split("\n")
        cmd = [lines.pop(0)]
        while cmd[-1].endswith("\\") and lines:  # continuation lines
            cmd.append(lines.pop(0))
        command, want = "\n".join(cmd), "\n".join(lines)
        p = _shell(command, strict=False, merge=True)  # as a terminal shows it
        got = p.stdout
        _remember(example, p.stdout)
        if p.returncode:
            return f"$ {command}\nexit {p.returncode}\n{got}"
        if want.strip():
            failure = _mismatch(f"$ {command}", want, got)
            if failure:
                return failure
    return None


def check_text(example: Example) -> str | None:
    """``text`` fences: an ``Output`` block or a ``Server log`` block (see the module docstring)."""
    attrs = _attrs(example)
    if 'title="Output"' in attrs:
        if "_stdout" not in example.namespace:
            return "an Output block must follow a block that runs"
        return _mismatch("stdout of the previous block differs:", example.parsed,
                         example.namespace["_stdout"])
    if 'title="Server log"' in attrs:
        server = example.namespace["vllm_server"]
        if server.log_path is None:
            raise pytest.skip.Exception("no local server log: the server was not started on this machine")
        log = server.log_path.read_text(errors="replace")
        want = "...\n" + "\n...\n".join(l for l in example.parsed.splitlines() if l.strip()) + "\n..."
        return _mismatch(f"expected lines missing from {server.log_path}:", want, log)
    return 'a text block needs title="Output" or title="Server log" (anything else is not checked)'


class ReasonedSkipParser(SkipParser):
    """Sybil's ``<!-- skip: ... -->`` directive, but a ``start``/``next`` without a reason fails."""

    def __call__(self, document):
        for region in super().__call__(document):
            action, reason = region.parsed
            if action in ("start", "next") and not (reason or "").strip():
                yield Region(region.start, region.end, region.parsed, _no_reason)
            else:
                yield region


def _no_reason(example: Example) -> str:
    return ("a skip without a reason: write <!-- skip: next \"why\" --> (a bare skip would report "
            "the blocks as passed without running them)")


SYBIL = Sybil(
    parsers=[
        PythonParser(),
        FenceParser("bash", run_bash),
        FenceParser("console", run_console),
        FenceParser("text", check_text),
        ReasonedSkipParser(),
    ],
    path=str(ROOT / "docs"),
    patterns=["*.md"],  # docs/en/** and docs/zh/** (PurePath.match: any depth)
    fixtures=["vllm_server"],
    name="docs",
)

pytest_collect_file = SYBIL.pytest()
