"""Before-you-begin lab: check that your environment is ready for every module.

Run, with the workshop's virtual environment active: ``python labs/setup/check_environment.py``

Checks, in order, and prints one line each (``ok`` or ``FAIL`` with the fix):

1. Python 3.11-3.13, and the workshop's packages (``openai``, ``httpx``, ``workshop``): run by a
   Python without them (the virtual environment not active), it says to activate it, instead of
   stopping with ``ModuleNotFoundError``;
2. the server answers ``/health`` at ``$VLLM_BASE_URL`` (default ``http://localhost:8000/v1``);
3. it serves a model (``$VLLM_MODEL`` if set) and answers a chat request;
4. tool calling is enabled (``--enable-auto-tool-choice --tool-call-parser ...``), which
   Modules 3 and 4 need: a request with ``tool_choice="auto"`` must not be refused with HTTP 400.

Exit status 0 when everything is ready, 1 otherwise (the last line says ``error: ... fix: ...``).
"""
import importlib
import sys

ORDER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_order_status",
        "description": "Look up an ACME order",
        "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}},
                       "required": ["order_id"]},
    },
}
ACTIVATE = "source .venv/bin/activate  (from the workshop folder; ./scripts/start creates .venv)"


def check(label, ok, detail, fix=""):
    """Print ``ok``/``FAIL`` for one check; return ``ok``."""
    print(f"{'ok  ' if ok else 'FAIL'} {label}: {detail}")
    if not ok and fix:
        print(f"     fix: {fix}")
    return ok


def not_ready(fix):
    """The last line of a failed check; exit status 1."""
    print(f"error: not ready for the modules\n  fix: {fix}", file=sys.stderr)
    return 1


def main():
    python_ok = (3, 11) <= sys.version_info[:2] <= (3, 13)
    results = [check("python", python_ok, f"{sys.version.split()[0]} ({sys.executable})",
                     "use Python 3.11, 3.12 or 3.13")]
    modules = {}
    for name in ("openai", "httpx", "workshop"):
        try:
            modules[name] = importlib.import_module(name)
        except ImportError:
            check(f"{name} package", False, f"not installed for {sys.executable}", ACTIVATE)
            return not_ready(ACTIVATE)
    openai, httpx, workshop = modules["openai"], modules["httpx"], modules["workshop"]
    results.append(check("openai package", True, openai.__version__))
    root = workshop.server_root()
    try:
        healthy = httpx.get(f"{root}/health", timeout=5).status_code == 200
    except httpx.HTTPError as exc:
        healthy, root = False, f"{root} ({type(exc).__name__})"
    if not check("server /health", healthy, root, workshop.START_HINT):
        return not_ready(workshop.START_HINT)
    client = workshop.client()
    try:
        model = workshop.model(client)
    except workshop.WorkshopError as exc:
        fix = str(exc).split("fix: ")[-1]
        check("model", False, str(exc).splitlines()[0], fix)
        return not_ready(fix)
    reply = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "Say OK."}], max_tokens=8, temperature=0)
    results.append(check("chat", bool(reply.choices[0].message.content), f"{model} answers"))
    tools_fix = ("restart the server with --enable-auto-tool-choice --tool-call-parser <parser>: "
                 "python scripts/server.py restart (CPU profile)")
    try:
        client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "Where is order A-1?"}],
            tools=[ORDER_TOOL], tool_choice="auto", max_tokens=32, temperature=0)
        results.append(check("tool calling", True, "enabled"))
    except openai.BadRequestError as exc:
        results.append(check("tool calling", False, exc.message, tools_fix))
    if not all(results):
        return not_ready("fix the lines marked FAIL, then run this check again")
    print("ready for all modules")
    return 0


if __name__ == "__main__":
    try:
        import workshop as _workshop
    except ImportError:  # main() reports it with the fix
        sys.exit(main())
    _workshop.run(main, arguments=False)
