"""Before-you-begin lab: check that your environment is ready for every module.

Run: ``python labs/setup/check_environment.py``

Checks, in order, and prints one line each (``ok`` or ``FAIL`` with the fix):

1. Python 3.11-3.13 and the ``openai`` package;
2. the server answers ``/health`` at ``$VLLM_BASE_URL`` (default ``http://localhost:8000/v1``);
3. it serves a model (``$VLLM_MODEL`` if set) and answers a chat request;
4. tool calling is enabled (``--enable-auto-tool-choice --tool-call-parser ...``), which
   Modules 3 and 4 need: a request with ``tool_choice="auto"`` must not be refused with HTTP 400.

Exit status 0 when everything is ready, 1 otherwise.
"""
import sys

import httpx
import openai

import workshop

ORDER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_order_status",
        "description": "Look up an ACME order",
        "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}},
                       "required": ["order_id"]},
    },
}


def check(label: str, ok: bool, detail: str, fix: str = "") -> bool:
    """Print ``ok``/``FAIL`` for one check; return ``ok``."""
    print(f"{'ok  ' if ok else 'FAIL'} {label}: {detail}")
    if not ok and fix:
        print(f"     fix: {fix}")
    return ok


def main() -> int:
    results = [check("python", (3, 11) <= sys.version_info[:2] <= (3, 13),
                     sys.version.split()[0], "use Python 3.11, 3.12 or 3.13"),
               check("openai package", True, openai.__version__)]
    root = workshop.server_root()
    try:
        healthy = httpx.get(f"{root}/health", timeout=5).status_code == 200
    except httpx.HTTPError as exc:
        healthy, root = False, f"{root} ({type(exc).__name__})"
    if not check("server /health", healthy, root, workshop.START_HINT):
        return 1
    client = workshop.client()
    try:
        model = workshop.model(client)
    except workshop.WorkshopError as exc:
        check("model", False, str(exc).splitlines()[0], str(exc).split("fix: ")[-1])
        return 1
    reply = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "Say OK."}], max_tokens=8, temperature=0)
    results.append(check("chat", bool(reply.choices[0].message.content), f"{model} answers"))
    try:
        client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "Where is order A-1?"}],
            tools=[ORDER_TOOL], tool_choice="auto", max_tokens=32, temperature=0)
        results.append(check("tool calling", True, "enabled"))
    except openai.BadRequestError as exc:
        results.append(check("tool calling", False, exc.message,
                             "restart the server with --enable-auto-tool-choice --tool-call-parser "
                             "<parser>: python scripts/server.py restart (CPU profile)"))
    print("ready for all modules" if all(results) else "not ready: fix the lines marked FAIL")
    return 0 if all(results) else 1


if __name__ == "__main__":
    workshop.run(main)
