"""Bad input gets one clear message with the fix, and a non-zero exit; nothing is lost.

Every lab that talks to the server (bash or Python) is run against each bad input a learner
meets: no server at the URL, a URL without ``/v1``, a model the server does not serve, a server
that wants an API key and gets none (a wrong key takes the same path: HTTP 401), and, for the
labs that send tools, a server started without the tool-calling flags. Each run must exit non-zero and print one
``error: ...`` with its ``fix: ...``, never a traceback and never silence. The runs go in
parallel (they are short, and most of their time is Python start-up).
"""
from __future__ import annotations

import ast
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from support import ROOT
#: Arguments some labs need (Module 3's checkpoint also needs tool calling).
ARGS = {"labs/checkpoint.py": ["3"],
        "labs/module4/agent.py": ["--servers", "acme", "--require-tool", "Where is order ACME-1042?"],
        "labs/module5/tune.py": ["prefix-caching", "--quick"],
        "labs/api/multimodal.py": ["--send"]}


def server_labs() -> list[str]:
    """Labs that talk to the workshop server: the Python labs that ask ``workshop`` for the model,
    the bash labs that call ``ws_connect``."""
    found = []
    for path in sorted((ROOT / "labs").rglob("*")):
        if path.suffix not in (".py", ".sh") or "__pycache__" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"workshop\.(model|served_models)\(", text) or re.search(r"^ws_connect$", text, re.M):
            found.append(path.relative_to(ROOT).as_posix())
    return found


LABS = server_labs()
#: The labs that send tools: they also meet a server started without the tool-calling flags.
TOOL_LABS = [lab for lab in LABS
             if re.search(r"openai_tools\(|\"tools\": \[\{|tools=tools", (ROOT / lab).read_text())]


def run_lab(lab: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
    """Run a lab as a learner does, with the virtual environment's ``python`` first on PATH."""
    runner = [sys.executable] if lab.endswith(".py") else ["bash"]
    environ = {**os.environ, "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    for name, value in env.items():
        if value is None:
            environ.pop(name, None)
        else:
            environ[name] = value
    command = runner + [lab, *ARGS.get(lab, [])]
    try:
        return subprocess.run(command, cwd=ROOT, env=environ, capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        # One lab that hangs fails its own row, not every lab's (the matrix runs them together).
        out, err = (x.decode(errors="replace") if isinstance(x, bytes) else x or "" for x in (exc.stdout, exc.stderr))
        return subprocess.CompletedProcess(command, -9, out, f"{err}\n[timed out after {timeout:.0f} s]")


def problems(p: subprocess.CompletedProcess) -> list[str]:
    """What is wrong with a lab's answer to bad input (empty when it is one clear error)."""
    out = p.stdout + p.stderr
    found = []
    if p.returncode == 0:
        found.append("exit status 0")
    if "Traceback" in out:
        found.append("a traceback")
    errors = re.findall(r"^error: ", p.stderr, re.MULTILINE)
    if len(errors) != 1:
        found.append(f"{len(errors)} 'error:' lines on stderr, not one")
    if "fix: " not in out:
        found.append("no 'fix:'")
    return found


def test_the_matrix_covers_the_labs():
    """The scan finds the labs of both kinds (else the matrix below would check nothing)."""
    assert "labs/module1/first_chat.py" in LABS and "labs/module1/sse.sh" in LABS
    assert {"labs/module1/endpoints.sh", "labs/module1/curl_chat.sh"} <= set(LABS)
    assert "labs/module1/offline_batch.py" not in LABS, "offline labs need no server"
    assert "labs/module4/vllm_mcp.py" not in TOOL_LABS, "an MCP tool needs no tool-calling flags"
    assert {"labs/module3/round_trip.py", "labs/module3/curl_tools.sh",
            "labs/module4/agent.py"} <= set(TOOL_LABS)


#: Each bad input a learner meets, and the server it points at: ``None`` for no server at all (the
#: row runs at once), else the fixture whose server must be up first.
BAD_INPUTS = {"server down": None, "URL without /v1": "vllm_server", "wrong model": "vllm_server",
              "key missing": "keyed_server", "no tool flags": "keyed_server"}


def bad_input_env(name: str, server, dead_url: str) -> dict[str, str | None]:
    """The environment a learner with the bad input ``name`` has (``server``: the value of the
    fixture :data:`BAD_INPUTS` names, ``None`` for "server down", whose URL is ``dead_url``);
    ``None`` unsets a variable."""
    if name == "server down":
        return {"VLLM_BASE_URL": dead_url}
    if name == "URL without /v1":
        return {"VLLM_BASE_URL": server.root}
    if name == "wrong model":
        return {"VLLM_MODEL": "no-such-model"}
    if name == "key missing":
        return {"VLLM_BASE_URL": server.base_url, "VLLM_API_KEY": None}
    return {"VLLM_BASE_URL": server.base_url, "VLLM_API_KEY": server.key}   # no tool flags


@pytest.fixture(scope="module")
def dead_url():
    """A URL at which nothing answers while the module runs: a port bound and never listened on
    (a connection is refused at once, and no server can take the port). A port from
    ``workshop_server.free_port()`` is free only when it is picked, and the runs queue for minutes
    while the session's servers start, each on a free port, bound before its model loads: in one
    fresh-clone run a lab's "server down" row got no answer and no refusal for 120 s, and no
    output (the likeliest cause: a server had taken that port meanwhile)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{s.getsockname()[1]}/v1"


@pytest.fixture(scope="module")
def pool():
    """The module's lab runs, four at a time (most of a run is Python start-up). At its end the
    runs not yet started are dropped: an interrupted run (Ctrl+C) does not wait for the queue."""
    p = ThreadPoolExecutor(max_workers=4)
    try:
        yield p
    finally:
        p.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(scope="module")
def option_futures(dead_url, pool, tmp_path_factory) -> dict[str, Future]:
    """Every lab with an option it does not take (see :func:`run_with_bad_option`), submitted now;
    these runs need no server."""
    return {lab: pool.submit(run_with_bad_option, lab, tmp_path_factory.mktemp("bad-option"), dead_url)
            for lab in PROGRAMS if lab not in PASS_THROUGH}


@pytest.fixture(scope="module")
def matrix(request, dead_url, pool, option_futures) -> dict[tuple[str, str], subprocess.CompletedProcess]:
    """Every lab run with every bad input (the tool labs also against the server without tool
    flags). The runs that need no server go first: the unknown options (``option_futures``,
    asked for here so that they start now) and "server down"; each other row is submitted as soon
    as the server it points at is healthy, so the pool works while the session's servers load."""
    futures: dict[tuple[str, str], Future] = {}
    for name, fixture in BAD_INPUTS.items():
        server = request.getfixturevalue(fixture) if fixture else None
        for lab in LABS:
            if name != "no tool flags" or lab in TOOL_LABS:
                futures[(lab, name)] = pool.submit(run_lab, lab, **bad_input_env(name, server, dead_url))
    return {job: future.result() for job, future in futures.items()}


@pytest.mark.parametrize("lab", LABS)
def test_every_bad_input_gets_one_error_and_its_fix(lab, matrix):
    failures = []
    for (name_lab, name), p in matrix.items():
        if name_lab == lab and (found := problems(p)):
            failures.append(f"{name}: {', '.join(found)}\n  stdout: {p.stdout[-600:]}\n"
                            f"  stderr: {p.stderr[-600:]}")
    assert not failures, f"{lab}:\n" + "\n".join(failures)


def test_the_check_catches_a_silent_failure_and_a_traceback():
    """``problems`` can fail: silence, a traceback, two errors."""
    silent = subprocess.CompletedProcess([], 1, "", "")
    assert problems(silent)
    trace = subprocess.CompletedProcess([], 1, "", "Traceback (most recent call last):\nerror: x\n  fix: y\n")
    assert "a traceback" in problems(trace)
    good = subprocess.CompletedProcess([], 1, "", "error: x\n  fix: y\n")
    assert problems(good) == []


def test_messages_name_the_fix(vllm_server, matrix):
    """The messages say what to do, for the three commonest mistakes (the matrix's own runs)."""
    down = matrix[("labs/module1/first_chat.py", "server down")]
    assert "no vLLM server answers" in down.stderr and "./scripts/start" in down.stderr
    wrong = matrix[("labs/module1/sse.sh", "wrong model")]
    assert "no-such-model" in wrong.stderr and "export VLLM_MODEL=" in wrong.stderr
    url = matrix[("labs/module1/curl_chat.sh", "URL without /v1")]
    assert f"export VLLM_BASE_URL={vllm_server.root}/v1" in url.stderr


def test_missing_tool_flags_are_reported(keyed_server):
    """A real server started without --enable-auto-tool-choice: the environment check says to
    restart it with the flags (vLLM's own HTTP 400, vllm/renderers/online_renderer.py)."""
    p = run_lab("labs/setup/check_environment.py", VLLM_BASE_URL=keyed_server.base_url,
                VLLM_API_KEY=keyed_server.key)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "FAIL tool calling" in p.stdout and "--enable-auto-tool-choice" in p.stdout
    assert "Traceback" not in p.stdout + p.stderr


def test_check_environment_without_the_workshop_packages(tmp_path: Path):
    """Run by a Python that lacks the workshop's packages (no venv active), the check says to
    activate it instead of a ModuleNotFoundError."""
    venv = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    p = subprocess.run([str(venv / "bin" / "python"), "labs/setup/check_environment.py"], cwd=ROOT,
                       capture_output=True, text=True, timeout=60,
                       env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert p.returncode == 1
    assert "FAIL openai package: not installed" in p.stdout
    assert "source .venv/bin/activate" in p.stdout + p.stderr and "Traceback" not in p.stderr


def test_api_key_lab_stops_its_server_when_it_cannot_start(tmp_path: Path):
    """api_key.sh on a port that another program holds: one error with its fix, at once, and no
    server left behind."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        t0 = time.monotonic()
        p = run_lab("labs/module1/api_key.sh", timeout=240, API_KEY_DEMO_PORT=str(port),
                    API_KEY_DEMO_TIMEOUT="120")
    assert problems(p) == [] and "is taken" in p.stderr, p.stderr
    assert time.monotonic() - t0 < 150
    leftover = subprocess.run(["pgrep", "-f", "--", f"--port {port}"], capture_output=True, text=True)
    assert leftover.stdout.strip() == "", f"a server is left on port {port}"


# ------------------------------------------------------------------ options a lab does not take

#: Libraries the labs source or import, not programs a learner runs.
LIBRARIES = {"labs/workshop.py", "labs/workshop.sh", "labs/workshop_server.py",
             "labs/container/common.sh", "labs/acme/__init__.py"}
#: Labs whose arguments are vLLM's own, passed on unread: vLLM's parser checks them.
PASS_THROUGH = {"labs/serve/serve_cpu.sh": "extra flags go to vllm serve",
                "labs/container/run.sh": "extra arguments go to vllm serve in the container"}
BAD_OPTION = "--no-such-option"


def programs() -> list[str]:
    """Every lab a learner runs: each Python file with a ``__main__`` block, each bash script."""
    found = []
    for path in sorted((ROOT / "labs").rglob("*")):
        lab = path.relative_to(ROOT).as_posix()
        if path.suffix not in (".py", ".sh") or "__pycache__" in path.parts or lab in LIBRARIES:
            continue
        if path.suffix == ".sh" or 'if __name__ == "__main__":' in path.read_text(encoding="utf-8"):
            found.append(lab)
    return found


PROGRAMS = programs()


def run_with_bad_option(lab: str, tmp: Path, dead_url: str, option: str = BAD_OPTION) -> subprocess.CompletedProcess:
    """``lab --no-such-option`` (or ``lab option``), where anything that ran anyway would fail fast: no server at the
    URLs (``dead_url``), no model folder, no container engine, a throw-away ACME database; its
    whole process group is killed after 120 s."""
    path = ROOT / lab
    if (path.parent / "__init__.py").exists():  # a package's module: python -m acme.db
        command = [sys.executable, "-m", ".".join(path.relative_to(ROOT / "labs").with_suffix("").parts)]
    else:
        command = [sys.executable if lab.endswith(".py") else "bash", lab]
    env = {**os.environ, "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}",
           "VLLM_BASE_URL": dead_url, "EMBED_BASE_URL": dead_url, "WORKSHOP_MODEL_DIR": str(tmp / "no-model"),
           "CONTAINER_ENGINE": "no-such-engine", "ACME_DB": str(tmp / "acme.db"),
           "API_KEY_DEMO_TIMEOUT": "5"}
    proc = subprocess.Popen([*command, option], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        err += "\n(killed after 120 s: it ran as if nothing was said)"
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def option_problems(p: subprocess.CompletedProcess) -> list[str]:
    """What is wrong with a lab's answer to an option it does not take (empty when it is one
    error naming the option, with its fix, and a non-zero exit)."""
    found = problems(p)
    error_lines = [line for line in p.stderr.splitlines() if line.startswith("error: ")]
    if not any(BAD_OPTION in line for line in error_lines):
        found.append(f"no 'error:' line names {BAD_OPTION}")
    if re.search(r"^usage: ", p.stdout + p.stderr, re.M):
        found.append("argparse's usage dump")
    return found


def test_the_walk_finds_every_kind_of_lab():
    assert {"labs/module1/first_chat.py", "labs/module3/tool_choice.py", "labs/module1/offline_batch.py",
            "labs/module1/sse.sh", "labs/container/build.sh", "labs/app/app.py"} <= set(PROGRAMS)
    assert not LIBRARIES & set(PROGRAMS)
    assert set(PASS_THROUGH) <= set(PROGRAMS)


@pytest.fixture(scope="module")
def option_runs(option_futures) -> dict[str, subprocess.CompletedProcess]:
    """Every lab run with an option it does not take (started early: :func:`option_futures`)."""
    return {lab: future.result() for lab, future in option_futures.items()}


@pytest.mark.parametrize("lab", [lab for lab in PROGRAMS if lab not in PASS_THROUGH])
def test_an_option_a_lab_does_not_take_is_one_error_and_its_fix(lab, option_runs):
    p = option_runs[lab]
    found = option_problems(p)
    assert not found, f"{lab} {BAD_OPTION}: {', '.join(found)}\n  stdout: {p.stdout[-600:]}\n  stderr: {p.stderr[-900:]}"


def test_the_option_check_fails_on_a_lab_that_ignores_the_option():
    ran = subprocess.CompletedProcess([], 1, "", "error: no vLLM server answers at x\n  fix: start it\n")
    assert f"no 'error:' line names {BAD_OPTION}" in option_problems(ran)
    dump = subprocess.CompletedProcess([], 2, "", f"usage: x [-h]\nx: error: unrecognized arguments: {BAD_OPTION}\n")
    assert "argparse's usage dump" in option_problems(dump)


# ------------------------------------------- the variables a fix names are ones the lab reads

#: The helpers that only report errors: ``workshop.run`` and ``explain`` name ``VLLM_BASE_URL`` in
#: the message for a failed request, which is not a setting of a lab that sends none.
HARNESS = {"run", "explain", "no_options"}
#: An environment variable's name in a message (``VLLM_BASE_URL``, ``ACME_DB``).
VARIABLE = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")
#: An option's value in argparse's usage (``--max-tokens MAX_TOKENS``): not a variable.
METAVAR = re.compile(r"--[\w-]+[ =][A-Z][A-Z0-9_]*")


def _read_literal(node: ast.AST) -> str | None:
    """The variable a node reads, if it is ``os.environ.get("X")``, ``os.environ["X"]``,
    ``os.getenv("X")`` (``environ.get``, ``getenv`` too), with a literal name."""
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
        f = node.func
        if isinstance(f, ast.Attribute) and (
                f.attr == "getenv" or (f.attr == "get" and isinstance(f.value, (ast.Attribute, ast.Name))
                                       and getattr(f.value, "attr", getattr(f.value, "id", "")) == "environ")):
            return node.args[0].value
    if (isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load)
            and getattr(node.value, "attr", getattr(node.value, "id", "")) == "environ"
            and isinstance(node.slice, ast.Constant)):
        return node.slice.value
    return None


class _Module:
    """A Python file of ``labs/``: per top-level function or class, the variables it reads itself
    and the names it uses; and where its imported names come from."""

    def __init__(self, file: Path):
        self.file = file
        tree = ast.parse(file.read_text(encoding="utf-8"))
        self.imports: dict[str, tuple[Path, str | None]] = {}  # name -> (file, attribute or None: the module)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if (target := _module_file(a.name, file)) is not None:
                        self.imports[a.asname or a.name.split(".")[0]] = (target, None)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                if (target := _module_file(node.module, file)) is not None:
                    for a in node.names:
                        self.imports[a.asname or a.name] = (target, a.name)
        self.units = {getattr(n, "name", ""): n for n in tree.body
                      if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
        self.tree = tree


def _module_file(name: str, importer: Path) -> Path | None:
    """The ``labs/`` file that ``import name`` loads for ``importer`` (its own folder first, then
    ``labs/``, as ``load_lab`` and the installed package arrange), or ``None`` for a library."""
    parts = name.split(".")
    for folder in (importer.parent, ROOT / "labs"):
        for candidate in (folder.joinpath(*parts).with_suffix(".py"), folder.joinpath(*parts, "__init__.py")):
            if candidate.is_file():
                return candidate
    return None


def settings_read(lab: str) -> set[str]:
    """The environment variables a lab reads: those its own code reads (``os.environ`` and
    ``os.getenv`` with a literal name; ``$NAME`` / ``${NAME...}`` in a bash lab and the helpers
    it sources), and those read by each function of ``labs/`` that it calls, followed call by
    call (``workshop.model_dir()`` reads ``WORKSHOP_MODEL_DIR``, ``acme.db.db_path()``
    ``ACME_DB``), but not through :data:`HARNESS`."""
    path = ROOT / lab
    if path.suffix == ".sh":
        text = path.read_text(encoding="utf-8")
        for sourced in re.findall(r"^\s*(?:source|\.) (labs/\S+\.sh)", text, re.M):
            text += (ROOT / sourced).read_text(encoding="utf-8")
        return set(re.findall(r"\$\{?([A-Z][A-Z0-9_]*)", text))
    modules: dict[Path, _Module] = {}
    seen: set[tuple[Path, str]] = set()

    def module(file: Path) -> _Module:
        if file not in modules:
            modules[file] = _Module(file)
        return modules[file]

    def reads(file: Path, node: ast.AST) -> set[str]:
        m, found = module(file), set()
        for sub in ast.walk(node):
            if (name := _read_literal(sub)) is not None:
                found.add(name)
            elif isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load):
                if sub.id in m.units and sub.id not in HARNESS:
                    found |= unit(file, sub.id)
                elif sub.id in m.imports and m.imports[sub.id][1] is not None:
                    found |= unit(*m.imports[sub.id])
            elif isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name):
                target = m.imports.get(sub.value.id)
                if target is None and (guess := _module_file(sub.value.id, file)) is not None:
                    target = (guess, None)  # workshop = importlib.import_module("workshop")
                if target is not None and target[1] is None and sub.attr not in HARNESS:
                    found |= unit(target[0], sub.attr)
        return found

    def unit(file: Path, name: str) -> set[str]:
        if (file, name) in seen:
            return set()
        seen.add((file, name))
        m = module(file)
        if name in m.units:
            return reads(file, m.units[name])
        if name in m.imports:  # re-exported
            return unit(*m.imports[name]) if m.imports[name][1] else set()
        return set()   # a constant or a class attribute: nothing read

    return reads(path, module(path).tree)


def test_settings_read_follows_the_helpers_a_lab_calls():
    """The reader finds a variable read through a helper, and none through the error harness."""
    assert "WORKSHOP_MODEL_DIR" in settings_read("labs/module1/offline_batch.py")   # workshop.model_dir()
    assert "ACME_DB" in settings_read("labs/module3/bad_calls.py")                 # acme.db.db_path()
    assert "VLLM_BASE_URL" in settings_read("labs/module1/first_chat.py")          # its own os.environ
    assert "VLLM_BASE_URL" in settings_read("labs/setup/check_environment.py")     # workshop.server_root()
    assert "VLLM_BASE_URL" not in settings_read("labs/container/check.py")         # only no_options
    assert "VLLM_BASE_URL" in settings_read("labs/module1/sse.sh")                 # sources workshop.sh


@pytest.mark.parametrize("lab", [lab for lab in PROGRAMS if lab not in PASS_THROUGH])
def test_a_fix_names_only_variables_the_lab_reads(lab, option_runs):
    """``labs/api/embedding_model.py --foo`` said "its settings are environment variables, such as
    VLLM_BASE_URL", which it never reads (``workshop.no_options``'s default): every variable the
    answer to an unknown option names is one that the lab, or a helper it calls, reads."""
    p = option_runs[lab]
    named = set(VARIABLE.findall(re.sub(METAVAR, "", p.stderr)))
    assert named <= settings_read(lab), (f"{lab} {BAD_OPTION} names {sorted(named - settings_read(lab))}, "
                                         f"which it does not read:\n{p.stderr[-600:]}")


# ------------------------------------------------------------------ --help says what a lab does

@pytest.fixture(scope="module")
def help_runs(dead_url, pool, option_futures, tmp_path_factory) -> dict[str, subprocess.CompletedProcess]:
    """Every lab run with ``--help`` (queued after the unknown options), in the same world where
    a lab that ran anyway would fail fast (see :func:`run_with_bad_option`)."""
    futures = {lab: pool.submit(run_with_bad_option, lab, tmp_path_factory.mktemp("help"), dead_url, "--help")
               for lab in PROGRAMS if lab not in PASS_THROUGH}
    return {lab: future.result() for lab, future in futures.items()}


def help_problems(lab: str, p: subprocess.CompletedProcess) -> list[str]:
    """What is wrong with a lab's answer to ``--help`` (empty when it says what the lab does and
    how to run it, on stdout, with exit status 0)."""
    found = []
    if p.returncode != 0:
        found.append(f"exit status {p.returncode}")
    if "Traceback" in p.stdout + p.stderr:
        found.append("a traceback")
    if re.search(r"^error: ", p.stdout + p.stderr, re.M):
        found.append("an 'error:' line (--help taken for bad input)")
    if len(p.stdout.strip().splitlines()) < 2:
        found.append("no description on stdout")
    if lab.endswith(".py") and not p.stdout.startswith("usage: "):
        found.append("no 'usage:' line")
    elif (ROOT / lab).with_name("__init__.py").exists() and not p.stdout.startswith("usage: python -m "):
        found.append("a usage line that is not the command to type (python -m ...)")
    return found


@pytest.mark.parametrize("lab", [lab for lab in PROGRAMS if lab not in PASS_THROUGH])
def test_help_says_what_a_lab_does(lab, help_runs):
    """``python -m acme.tools --help`` answered "unknown tool '--help'": every lab's ``--help``
    prints its usage and what it does, and exits 0."""
    p = help_runs[lab]
    found = help_problems(lab, p)
    assert not found, f"{lab} --help: {', '.join(found)}\n  stdout: {p.stdout[-600:]}\n  stderr: {p.stderr[-600:]}"


def test_the_help_check_fails_on_help_taken_for_a_name():
    """The answer acme.tools gave before it used workshop.ArgumentParser."""
    old = subprocess.CompletedProcess([], 2, "", "error: unknown tool '--help', available: a, b\n  fix: x\n")
    assert {"exit status 2", "no 'usage:' line"} <= set(help_problems("labs/acme/tools.py", old))
