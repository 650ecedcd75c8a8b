"""pytest plugin: every fenced block of every page in ``docs/{en,zh}`` is checked against the live server.

Registered in pyproject.toml (``-p plugins.docs``); collection is done by Sybil. Each page is
followed the way a reader follows it: its commands run **in page order in one terminal of its
own**, which starts as a new terminal does, with no virtual environment active, in a folder that
holds the clone as ``vllm-workshop`` (a symlink to this repository). Exported variables and the
working directory carry over from block to block, so ``cd vllm-workshop`` and
``source .venv/bin/activate`` must appear on the page before anything that needs them.

What runs how:

``bash``
    the block runs in the page's terminal (``set -e``, ``pipefail``); a non-zero exit fails.
``console``
    each ``$ command`` line runs in the page's terminal; the lines after it are its expected
    output, stdout and stderr interleaved as a terminal shows them (``...`` matches anything, a
    line of just ``...`` any number of lines, whitespace is normalised); a non-zero exit fails.
``python`` / ``bash`` made only of ``--8<-- "labs/..."`` includes
    shows a lab's code (whole, or by section). It is checked, not run on its own: the includes
    resolve, the file compiles (``compile()`` / ``bash -n``), and another block of the page
    that is not skipped runs the lab (usually a later one; an earlier one for a server the page
    started in the background before showing its code) (``python labs/x.py``, ``bash labs/x.sh``, or for a module of a
    package under ``labs/``, ``python -m package.module``): a lab is checked by running the
    program it belongs to, with the command the reader types. A ``python`` block that is not a
    lab is an error: the code of every sample lives in ``labs/``.
``jinja``
    shows a chat template from ``labs/`` (includes only); it must parse with Jinja2. The
    server profile that uses it is what the page's other blocks run against.
``yaml``
    shows a manifest from ``labs/`` (includes only, e.g. Kubernetes); it must parse as YAML. What
    it describes cannot run here (a cluster); its own test validates it (tests/labs/scaling/test_vllm_k8s.py).
``text`` titled ``Output`` / ``输出``
    the expected output of the block before it, compared the same way.
``text`` titled ``Server log`` / ``服务器日志``
    lines that must appear, in order, in the log of the server this machine started.
``text`` titled ``Recorded run ...`` / ``实测记录 ...``
    what a lab printed in a recorded run (benchmark figures, which no two runs share), made
    only of includes of files under ``labs/<module>/record/``, which must exist; their agreement
    with the run's JSON is the module's own test.

**Identical work runs once.** A command's result is kept for the session under the page's
path inside its language folder, the block's position on the page, the command and the
terminal's state (variables and directory) before it. The Chinese twin of an English page has
the same blocks byte for byte (``tests/docs/test_pages.py``), so its commands reuse the English
results and its expected outputs are compared with them; a block that differs between the
languages, or runs in another state, runs on its own. The summary says how many were reused.

Blocks are skipped only with ``<!-- skip: next "reason" -->``; a skip without a reason fails,
and ``tests/docs/test_pages.py`` fails on any fence this plugin does not collect. A skip that depends
on this machine or server calls one of the functions in ``CONDITIONS``, which returns ``None``
(run the block) or the reason, found out at run time, e.g. ``<!-- skip: next
server_refuses_images() -->``: the block runs for real wherever it can (an instructor's vision
model) and its skip is reported with what the server said.
"""
from __future__ import annotations

import atexit
import doctest
import hashlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pytest
from sybil import Example, Region, Sybil
from sybil.parsers.abstract import AbstractCodeBlockParser
from sybil.parsers.markdown import SkipParser
from sybil.parsers.markdown.lexers import RawFencedCodeBlockLexer

import pages

ROOT = Path(__file__).resolve().parents[2]
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
CHECKER = doctest.OutputChecker()
TIMEOUT_S = 600
#: The name a reader's clone has (``git clone ... && cd vllm-workshop``, Before you begin).
CLONE_NAME = "vllm-workshop"
LAB_INCLUDE = re.compile(r'^\s*--8<--\s+"(?P<path>labs/[^":]+\.(?:py|sh|jinja|yaml))(?::[\w-]+)?"\s*$')
#: The fence languages this plugin runs; tests/docs/test_pages.py fails on any other.
LANGUAGES = ("python", "bash", "console", "text", "jinja", "yaml")
#: Titles of ``text`` blocks, in every language, and what they mean to this plugin.
TEXT_TITLES = {"Output": "output", "输出": "output", "Server log": "server-log", "服务器日志": "server-log"}
#: Titles of blocks that run only where the server can do what the workshop's cannot, in every
#: language, and what they need (``tests/docs/test_server_conditions.py``).
BLOCK_TITLES = {"Needs a vision model": "needs-vision-model", "需要视觉模型": "needs-vision-model"}
#: Title prefixes of a recorded run's output (see the module docstring) and what it may include.
RECORD_TITLES = ("Recorded run", "实测记录")
RECORD_INCLUDE = re.compile(r'^\s*--8<--\s+"(?P<path>labs/[\w-]+/record/[^":]+\.txt)"\s*$')
#: Variables a shell sets by itself: not part of a terminal's state.
SHELL_OWN = {"_", "SHLVL", "PWD", "OLDPWD", "__WS_STATE"}

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


def title_of(attrs: str) -> str | None:
    """The ``title="..."`` of a fence's attribute string, or ``None``."""
    m = re.search(r'title="([^"]*)"', attrs or "")
    return m[1] if m else None


def _attrs(example: Example) -> str:
    return example.region.lexemes.get("attrs") or ""


# ------------------------------------------------------------------ the page's terminal


@lru_cache
def reader_home() -> Path:
    """A folder standing for the reader's home: it holds the clone as ``vllm-workshop``."""
    home = Path(tempfile.mkdtemp(prefix="workshop-reader-"))
    (home / CLONE_NAME).symlink_to(ROOT)
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    return home


def fresh_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a new terminal: ``base`` (default ``os.environ``) without an active
    virtual environment (``VIRTUAL_ENV`` unset, its ``bin`` and this repository's ``.venv/bin``
    off ``PATH``). ``VLLM_*`` settings stay: a reader (or an instructor) exports them."""
    env = dict(os.environ if base is None else base)
    venvs = {str(ROOT / ".venv" / "bin")}
    if env.get("VIRTUAL_ENV"):
        venvs.add(str(Path(env["VIRTUAL_ENV"]) / "bin"))
    for name in ("VIRTUAL_ENV", "VIRTUAL_ENV_PROMPT", "PYTHONHOME", "PYTHONPATH", "CONDA_PREFIX",
                 "PYTEST_CURRENT_TEST",   # pytest's own, different in every test
                 "NO_MKDOCS_2_WARNING"):  # set by MkDocs in this process once it loads a config
        env.pop(name, None)
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if p and str(Path(p)) not in venvs)
    env["PYTHONUNBUFFERED"] = "1"  # a terminal is line-buffered; a pipe is not
    return env


@dataclass
class Terminal:
    """One reader's terminal: exported variables and the working directory."""

    env: dict[str, str] = field(default_factory=fresh_env)
    cwd: str = field(default_factory=lambda: str(reader_home()))

    def fingerprint(self) -> str:
        """A hash of the state a command starts from."""
        text = "\0".join(f"{k}={v}" for k, v in sorted(self.env.items())) + "\0" + self.cwd
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Result:
    """What one command did: its terminal output (stdout and stderr merged), exit status, and
    the terminal's state after it."""

    output: str
    returncode: int
    env: dict[str, str]
    cwd: str


def run_in(term: Terminal, command: str, *, strict: bool) -> Result:
    """Run ``command`` with bash in ``term``'s state; return its output and the new state.

    ``strict`` adds ``set -e``. The command runs in its own process group: on timeout
    (``TIMEOUT_S``) the whole group is killed, so a stuck child cannot hang the suite.
    """
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp)
        script = ('trap \'__ws_rc=$?; env -0 > "$__WS_STATE/env"; pwd > "$__WS_STATE/cwd"; '
                  'exit $__ws_rc\' EXIT\n' + ("set -e\n" if strict else "") + command + "\n")
        proc = subprocess.Popen(["bash", "--noprofile", "--norc", "-o", "pipefail", "-c", script],
                                cwd=term.cwd, env={**term.env, "__WS_STATE": tmp},
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, text=True, start_new_session=True)
        try:
            output, _ = proc.communicate(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            output, _ = proc.communicate()
            return Result(output + f"\n[timed out after {TIMEOUT_S} s]", -9, term.env, term.cwd)
        try:
            pairs = (state / "env").read_text().split("\0")
            env = dict(p.split("=", 1) for p in pairs if "=" in p)
            env = {k: v for k, v in env.items() if k not in SHELL_OWN}
            cwd = (state / "cwd").read_text().strip() or term.cwd
        except OSError:  # the shell was killed before its EXIT trap
            env, cwd = term.env, term.cwd
    return Result(output, proc.returncode, env, cwd)


# ------------------------------------------------------------------ identical work runs once

_RUNS: dict[tuple, Result] = {}
#: How many commands each language ran, and how many it took from its twin's identical block,
#: since the last report (each item's report carries its own counts to the main process).
STATS: dict[str, dict[str, int]] = {}


def page_key(path: str) -> tuple[str, str]:
    """``(language, page path inside the language folder)`` for a page under a ``docs/<lang>/``
    folder (the repository's, or a test's)."""
    parts = Path(path).resolve().parts
    i = len(parts) - 1 - parts[::-1].index("docs") if "docs" in parts else -1
    if i < 0 or i + 2 >= len(parts):
        return "", Path(path).as_posix()
    return parts[i + 1], Path(*parts[i + 2:]).as_posix()


def block_ordinal(example: Example) -> int:
    """The position of the example's fence among the page's fences (0-based)."""
    lines = [f.line for f in pages.fences(example.document.text)]
    return lines.index(example.line) if example.line in lines else -1


def terminal(example: Example) -> Terminal:
    """The page's terminal (made when the page's first command runs)."""
    return example.namespace.setdefault("_terminal", Terminal())


def run_command(example: Example, index: int, command: str, *, strict: bool) -> Result:
    """Run one command of ``example`` in the page's terminal, or reuse the identical run."""
    example.namespace["vllm_server"]  # the server must be up (fixture)
    term = terminal(example)
    lang, page = page_key(example.path)
    key = (page, block_ordinal(example), index, command, term.fingerprint())
    stats = STATS.setdefault(lang, {"ran": 0, "reused": 0})
    if key in _RUNS:
        stats["reused"] += 1
    else:
        stats["ran"] += 1
        _RUNS[key] = run_in(term, command, strict=strict)
    result = _RUNS[key]
    term.env, term.cwd = dict(result.env), result.cwd
    example.namespace["_stdout"] = result.output
    return result


# ------------------------------------------------------------------ evaluators


def labs_of(source: str) -> list[str] | None:
    """The lab paths when every non-blank line of ``source`` includes (part of) a lab, else None."""
    lines = [line for line in source.splitlines() if line.strip()]
    matches = [LAB_INCLUDE.match(line) for line in lines]
    if not lines or not all(matches):
        return None
    return list(dict.fromkeys(m["path"] for m in matches))


def run_pattern(lab: str) -> re.Pattern:
    """How a command line runs ``lab``: ``python labs/x.py``, ``bash labs/x.sh``, and for a
    module of a package under ``labs/`` also ``python -m package.module`` (with arguments or
    variables before it)."""
    runner = r"python3?" if lab.endswith(".py") else r"bash"
    target = re.escape(lab)
    path = ROOT / lab
    if lab.endswith(".py") and (path.parent / "__init__.py").is_file():
        module = ".".join(path.relative_to(ROOT / "labs").with_suffix("").parts)
        target = rf"(?:{target}|-m\s+{re.escape(module)})"
    return re.compile(rf"(?:^|[\s;&|(]){runner}\s+{target}(?:\s|$)", re.MULTILINE)


def _skipped_before(text: str, fence_line: int) -> bool:
    """True when the line before the fence at ``fence_line`` (1-based) is a skip directive."""
    before = [l for l in text.split("\n")[:fence_line - 1] if l.strip()]
    return bool(before) and bool(re.match(r"\s*<!--\s*skip:\s*next\b", before[-1]))


def check_lab_display(example: Example, labs: list[str]) -> str | None:
    """A block that shows lab code: it resolves, compiles, and another block runs the lab."""
    try:
        resolve_snippets(example.parsed)
    except Exception as exc:  # noqa: BLE001 - pymdownx raises its own types
        return f"an include does not resolve: {exc}"
    text = example.document.text
    runs = [f for f in pages.fences(text) if f.line != example.line
            and f.language in ("bash", "console") and not _skipped_before(text, f.line)]
    for lab in labs:
        path = ROOT / lab
        if lab.endswith(".jinja"):
            import jinja2

            try:
                jinja2.Environment().parse(path.read_text(encoding="utf-8"))
            except jinja2.TemplateSyntaxError as exc:
                return f"{lab} does not parse as a Jinja2 template: {exc}"
            continue
        if lab.endswith(".py"):
            try:
                compile(path.read_text(encoding="utf-8"), str(path), "exec")
            except SyntaxError as exc:
                return f"{lab} does not compile: {exc}"
        else:
            p = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
            if p.returncode:
                return f"{lab} does not parse: {p.stderr}"
        runner = "python" if lab.endswith(".py") else "bash"
        if not any(run_pattern(lab).search(f.body) for f in runs):
            return (f"this block shows {lab}, but no block of the page runs it: add a "
                    f"console block with `$ {runner} {lab}` and its output")
    return None


def run_python(example: Example) -> str | None:
    """A ``python`` block must show a lab (see the module docstring)."""
    labs = labs_of(example.parsed)
    if labs is None:
        return ("a python block must only include lab code (--8<-- \"labs/...\"): the code of "
                "every sample lives in labs/, and the page runs it with `$ python labs/...`")
    return check_lab_display(example, labs)


def check_jinja(example: Example) -> str | None:
    """A ``jinja`` block must show a template from ``labs/`` (see the module docstring)."""
    labs = labs_of(example.parsed)
    if labs is None or not all(lab.endswith(".jinja") for lab in labs):
        return "a jinja block must only include templates from labs/ (--8<-- \"labs/...jinja\")"
    return check_lab_display(example, labs)


def check_yaml(example: Example) -> str | None:
    """A ``yaml`` block must show a manifest from ``labs/`` that parses (see the module docstring)."""
    import yaml

    labs = labs_of(example.parsed)
    if labs is None or not all(lab.endswith(".yaml") for lab in labs):
        return "a yaml block must only include manifests from labs/ (--8<-- \"labs/...yaml\")"
    try:
        resolve_snippets(example.parsed)
        for lab in labs:
            list(yaml.safe_load_all((ROOT / lab).read_text(encoding="utf-8")))
    except Exception as exc:  # noqa: BLE001 - pymdownx and PyYAML raise their own types
        return f"the manifest does not resolve or parse: {exc}"
    return None


def run_bash(example: Example) -> str | None:
    """Run a ``bash`` block in the page's terminal, or check it as a lab display."""
    labs = labs_of(example.parsed)
    if labs is not None:
        return check_lab_display(example, labs)
    result = run_command(example, 0, resolve_snippets(example.parsed), strict=True)
    if result.returncode:
        return f"exit {result.returncode}\n{result.output}"
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


def console_commands(source: str) -> list[tuple[str, str]] | None:
    """``(command, expected output)`` pairs of a console block, or ``None`` when it does not
    start with ``$ ``. A command continues on the next line after a trailing backslash."""
    chunks = re.split(r"^\$ ", source, flags=re.MULTILINE)
    if chunks[0].strip() or len(chunks) < 2:
        return None
    pairs = []
    for chunk in chunks[1:]:
        lines = chunk.split("\n")
        cmd = [lines.pop(0)]
        while cmd[-1].endswith("\\") and lines:  # continuation lines
            cmd.append(lines.pop(0))
        pairs.append(("\n".join(cmd), "\n".join(lines)))
    return pairs


def run_console(example: Example) -> str | None:
    """Run each ``$ command`` of a ``console`` block and compare its output (stdout + stderr)."""
    pairs = console_commands(example.parsed)
    if pairs is None:
        return "a console block must start with '$ command'"
    for index, (command, want) in enumerate(pairs):
        result = run_command(example, index, command, strict=False)
        if result.returncode:
            return f"$ {command}\nexit {result.returncode}\n{result.output}"
        if want.strip():
            failure = _mismatch(f"$ {command}", want, result.output)
            if failure:
                return failure
    return None


def check_text(example: Example) -> str | None:
    """``text`` fences: an output block or a server log block (see the module docstring)."""
    title = title_of(_attrs(example)) or ""
    kind = TEXT_TITLES.get(title)
    if title.startswith(RECORD_TITLES):
        lines = [line for line in example.parsed.splitlines() if line.strip()]
        matches = [RECORD_INCLUDE.match(line) for line in lines]
        if not lines or not all(matches):
            return "a recorded run block holds only includes of labs/<module>/record/*.txt"
        missing = [m["path"] for m in matches if not (ROOT / m["path"]).is_file()]
        return f"recorded run files missing: {missing}" if missing else None
    if kind == "output":
        if "_stdout" not in example.namespace:
            return "an output block must follow a block that runs"
        return _mismatch("output of the previous block differs:", example.parsed,
                         example.namespace["_stdout"])
    if kind == "server-log":
        server = example.namespace["vllm_server"]
        if server.log_path is None:
            raise pytest.skip.Exception("no local server log: the server was not started on this machine")
        log = server.log_path.read_text(errors="replace")
        want = "...\n" + "\n...\n".join(l for l in example.parsed.splitlines() if l.strip()) + "\n..."
        return _mismatch(f"expected lines missing from {server.log_path}:", want, log)
    return (f"a text block needs one of the titles {sorted(TEXT_TITLES)} or a title starting with "
            f"{' or '.join(RECORD_TITLES)} (anything else is not checked)")


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


@lru_cache
def server_refuses_images() -> str | None:
    """``None`` when the session's server answers a chat request with an image, else why not
    (``labs/api/multimodal.py``'s ``server_refusal``: the server's own HTTP 400 message)."""
    import importlib.util

    import workshop

    spec = importlib.util.spec_from_file_location("api_multimodal", ROOT / "labs/api/multimodal.py")
    lab = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(lab)
    try:
        return lab.server_refusal()
    except workshop.WorkshopError as exc:
        return f"no answer from the server: {exc}"


def server_takes_images() -> str | None:
    """The inverse of :func:`server_refuses_images`: ``None`` (run the block, which shows the
    refusal) when the server refuses images, else the reason to skip it."""
    if server_refuses_images() is None:
        return "the server takes images: the block titled 'Needs a vision model' shows its answer"
    return None


@lru_cache
def podman_problem() -> str | None:
    """``None`` when Podman runs containers here, else why not and the fix, one line
    (``labs/container/check.py``'s ``problem``: a ``podman run --rm`` of the workshop's image).
    Asked once per process: each of the container page's skip markers asks it twice (condition
    and reason), in both languages, and each answer is a container run."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("container_check", ROOT / "labs/container/check.py")
    check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check)
    return check.problem()


#: Functions a page's conditional skip may call (see the module docstring).
CONDITIONS = {"server_refuses_images": server_refuses_images, "server_takes_images": server_takes_images,
              "podman_problem": podman_problem}


def _page_setup(namespace: dict) -> None:
    """Each page's namespace gets the functions its conditional skips call."""
    namespace.update(CONDITIONS)


SYBIL = Sybil(
    parsers=[
        FenceParser("python", run_python),
        FenceParser("bash", run_bash),
        FenceParser("console", run_console),
        FenceParser("text", check_text),
        FenceParser("jinja", check_jinja),
        FenceParser("yaml", check_yaml),
        ReasonedSkipParser(),
    ],
    path=str(ROOT / "docs"),
    patterns=["*.md"],  # docs/en/** and docs/zh/** (PurePath.match: any depth)
    fixtures=["vllm_server"],
    setup=_page_setup,
    name="docs",
)

pytest_collect_file = SYBIL.pytest()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # noqa: ARG001 - pytest API
    """Each report carries the commands its item ran and reused, as ``user_properties``
    (``("commands", {lang: {"ran": n, "reused": m}})``), which pytest-xdist sends to the main
    process, where :mod:`plugins.report` adds them up."""
    outcome = yield
    if STATS:
        outcome.get_result().user_properties.append(("commands", {k: dict(v) for k, v in STATS.items()}))
        STATS.clear()
