"""A lab whose self-check fails ends with one ``error: ... fix: ...``, never a bare exit status 1.

Many labs check what they printed (the server honoured ``n``, the stream gave the same calls as
the whole reply, the database did not change) and exit 1 when it did not hold. A walkthrough found
labs that did so after their result lines alone: the learner saw ``False`` somewhere above and a
failed command, with nothing saying what failed or what to do (issue 21). The house rule: a
failure raises ``workshop.WorkshopError("what failed, with the figures.\\n  fix: ...")``, which
``workshop.run`` prints as one ``error:`` message, or prints that message on stderr itself just
before ``return 1``.

This check reads the labs' source. A lab's *exit functions* are the functions its
``if __name__ == "__main__":`` block calls, and, in turn, every module-level function whose result
an exit function returns (``return asyncio.run(main_async(...))``, ``return models()``,
``return {"direct": direct, ...}[what](args)``). None of them may ``return 1`` (or another
non-zero status such as a usage error's 2, or an ``if`` expression with such a branch) unless
the statement just before prints a line starting with ``error:`` to ``sys.stderr``.
"""
from __future__ import annotations

import ast

import pytest

from support import ROOT


def _is_main_guard(node: ast.stmt) -> bool:
    """``if __name__ == "__main__":``."""
    return (isinstance(node, ast.If) and isinstance(node.test, ast.Compare)
            and isinstance(node.test.left, ast.Name) and node.test.left.id == "__name__"
            and any(isinstance(c, ast.Constant) and c.value == "__main__" for c in node.test.comparators))


def _names(node: ast.AST) -> set[str]:
    """Every bare name used in ``node``."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _own_nodes(function: ast.AST):
    """The nodes of ``function``'s body, not those of functions or lambdas defined inside it."""
    stack = list(ast.iter_child_nodes(function))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def exit_functions(tree: ast.Module) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """The module-level functions whose return value becomes the program's exit status (see the
    module docstring), in source order."""
    defs = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    todo = set()
    for node in tree.body:
        if _is_main_guard(node):
            todo |= _names(node) & defs.keys()
    found: set[str] = set()
    while todo:
        name = todo.pop()
        found.add(name)
        for node in _own_nodes(defs[name]):
            if isinstance(node, ast.Return) and node.value is not None:
                todo |= (_names(node.value) & defs.keys()) - found
    return [defs[name] for name in defs if name in found]


def _yields_failure(value: ast.expr | None) -> bool:
    """A non-zero whole number (1 for a failed check, 2 for a usage error), or an ``if``
    expression one of whose branches yields one."""
    if isinstance(value, ast.Constant):
        return isinstance(value.value, int) and not isinstance(value.value, bool) and value.value != 0
    if isinstance(value, ast.IfExp):
        return _yields_failure(value.body) or _yields_failure(value.orelse)
    return False


def _prints_error(statement: ast.stmt | None) -> bool:
    """``print("error: ...", file=sys.stderr)`` (a plain or f-string)."""
    if not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)):
        return False
    call = statement.value
    if not (isinstance(call.func, ast.Name) and call.func.id == "print" and call.args):
        return False
    first = call.args[0]
    if isinstance(first, ast.JoinedStr) and first.values:
        first = first.values[0]
    return (isinstance(first, ast.Constant) and isinstance(first.value, str)
            and first.value.lstrip("\n").startswith("error:")
            and any(k.arg == "file" and ast.unparse(k.value) == "sys.stderr" for k in call.keywords))


def silent_failures(source: str) -> list[str]:
    """``"function:line: statement"`` for each non-zero ``return`` in an exit function of the program
    ``source`` that is not just after an ``error:`` line printed to stderr."""
    tree = ast.parse(source)
    found = []
    for function in exit_functions(tree):
        for node in [function, *_own_nodes(function)]:
            for field in ("body", "orelse", "finalbody"):  # each block of statements
                block = getattr(node, field, None)
                if not isinstance(block, list):
                    continue
                for before, statement in zip([None] + block[:-1], block):
                    if (isinstance(statement, ast.Return) and _yields_failure(statement.value)
                            and not _prints_error(before)):
                        found.append(f"{function.name}:{statement.lineno}: {ast.unparse(statement)}")
    return sorted(found)


def labs() -> list[str]:
    """Every Python lab with an ``if __name__ == "__main__":`` block, relative to the root."""
    return [p.relative_to(ROOT).as_posix() for p in sorted((ROOT / "labs").rglob("*.py"))
            if any(_is_main_guard(n) for n in ast.parse(p.read_text(encoding="utf-8")).body)]


BAD = '''
import sys
def main():
    print("stream gives the same calls: False")
    return 0 if same else 1
def check():
    if broken:
        print(f"error: {n} broken\\n  fix: restart", file=sys.stderr)
        return 1
    if late:
        print("late")
        return 1
    return dispatch()
def dispatch():
    def inner():
        return 1
    return 2
if __name__ == "__main__":
    raise SystemExit(main() or check())
'''


def test_the_check_finds_silent_failures_and_passes_reported_ones():
    """Each shape the labs used: an if expression, a bare ``return 1`` after a result line, one
    reached through a returned call (a usage error's 2 too); a ``return 1`` after
    ``print("error: ...", file=sys.stderr)`` and one in a nested helper are not failures."""
    assert silent_failures(BAD) == ["check:12: return 1", "dispatch:17: return 2",
                                    "main:5: return 0 if same else 1"]


def test_the_walk_finds_the_labs_and_their_exit_functions():
    assert {"labs/module6/routing.py", "labs/serve/smollm2_tool_parser.py",
            "labs/module4/mcp_primitives.py"} <= set(labs())
    tree = ast.parse((ROOT / "labs/module6/routing.py").read_text(encoding="utf-8"))
    assert {"main", "models", "failover"} <= {f.name for f in exit_functions(tree)}


@pytest.mark.parametrize("lab", labs())
def test_a_failed_self_check_says_error_and_fix(lab):
    """Raise ``workshop.WorkshopError("what failed, with the figures.\\n  fix: what to run")``
    instead (see ``labs/module1/n_and_beam.py``); keep the result lines the page shows."""
    found = silent_failures((ROOT / lab).read_text(encoding="utf-8"))
    assert not found, f"{lab}: {found}"
