"""API guide lab: six mistakes copied from older guides, made for real against this server.

Run: ``python labs/api/mistakes.py``

Environment as in every lab (``VLLM_BASE_URL``, ``VLLM_API_KEY``, ``VLLM_MODEL``). It imports
vLLM first (10 to 12 s on the workshop's busy 2-core machine; a line says so, then one every
15 s). For each mistake it prints the call, what the installed packages and the server answered, and the
correct call. Nothing here is simulated: each mistake is sent, and the lab fails (exit 1) if
one of them unexpectedly works, because then this page would be wrong.

1. ``openai.ChatCompletion.create(...)``: the openai<1.0 interface; openai 1.0 and later (this
   workshop pins 3.54) raise ``APIRemovedInV1``.
2. ``python -m vllm.entrypoints.api_server`` and ``POST /generate``: the old demo server; vLLM
   0.32 no longer ships that module, and the OpenAI-compatible server has no ``/generate``.
3. A model name that is not the served one: vLLM answers 404 and lists the names it serves
   (``--served-model-name``, or the path given to ``vllm serve``).
4. A base URL without ``/v1``: every OpenAI route is then 404.
5. A request field the server does not know (``"streaming": true``, a misspelt ``stream``): vLLM
   answers HTTP 200 and ignores it, so the reply is not streamed; only the server's log says so
   (``OpenAIBaseModel.__log_extra_fields__`` in ``vllm/entrypoints/serve/engine/protocol.py``).
   Module 2's removed ``guided_*`` fields are the same case.
6. ``from vllm.entrypoints.openai.tool_parsers import ...`` in a tool parser plugin: that package
   is gone; parsers live in ``vllm.tool_parsers`` (Module 3, section 8).
"""
import importlib.util

import httpx
import openai

import workshop


def first_line(text: str) -> str:
    """The first non-empty line of ``text``, at most 110 characters."""
    line = next((l.strip() for l in str(text).splitlines() if l.strip()), "")
    return line if len(line) <= 110 else line[:107] + "..."


def unexpected(what: str) -> None:
    """Stop: a mistake this page describes did not fail, so the page is out of date."""
    raise workshop.WorkshopError(f"unexpected: {what}; this page no longer matches the installed "
                                 "packages.\n  fix: check the versions (pip list) against the "
                                 "workshop's pins in pyproject.toml")


def main() -> None:
    client = workshop.client()
    model = workshop.model(client)
    messages = [{"role": "user", "content": "Hello"}]
    try:  # 10 to 12 s of silence at item 2 in a walkthrough (load average 7 to 11): say so first
        with workshop.waiting("importing vLLM (items 2 and 6 look for modules in it)"):
            import vllm.entrypoints  # noqa: F401
    except ImportError as exc:
        raise workshop.WorkshopError(
            f"this lab looks for modules in the installed vLLM, and this environment has none "
            f"({exc}).\n  fix: run it where vLLM is installed (the CPU or GPU set-up of 'Before "
            "you begin')") from exc

    # --8<-- [start:old-client]
    print("1. openai.ChatCompletion.create(model=..., messages=...)   # openai<1.0")
    try:
        openai.ChatCompletion.create(model=model, messages=messages)
        unexpected("the openai<1.0 call worked")
    except openai.lib._old_api.APIRemovedInV1 as exc:
        print("   ->", type(exc).__name__ + ":", first_line(exc))
    print("   instead: OpenAI(base_url=..., api_key=...).chat.completions.create(...)")
    # --8<-- [end:old-client]

    # --8<-- [start:old-server]
    print("2. python -m vllm.entrypoints.api_server, then POST /generate")
    spec = importlib.util.find_spec("vllm.entrypoints.api_server")
    print("   -> module in this vLLM:", "present" if spec else "none (removed)")
    r = httpx.post(f"{workshop.server_root()}/generate", json={"prompt": "Hello"},
                   headers={"Authorization": f"Bearer {workshop.api_key()}"})
    print("   -> POST /generate:", r.status_code, r.text.strip())
    if r.status_code != 404:
        unexpected("this server answers /generate")
    print("   instead: vllm serve MODEL, then POST /v1/completions or /v1/chat/completions")
    # --8<-- [end:old-server]

    # --8<-- [start:model-name]
    print("3. model='HuggingFaceTB/SmolLM2-135M-Instruct' (the Hub name, not the served one)")
    wrong = "HuggingFaceTB/SmolLM2-135M-Instruct" if model != "HuggingFaceTB/SmolLM2-135M-Instruct" \
        else "not-a-served-model"
    try:
        client.chat.completions.create(model=wrong, messages=messages, max_tokens=1)
        unexpected(f"the server accepted the model name {wrong}")
    except openai.NotFoundError as exc:
        print("   ->", exc.status_code, exc.body["message"] if isinstance(exc.body, dict) else exc.message)
    print(f"   instead: model={model!r}, a name from GET /v1/models (--served-model-name)")
    # --8<-- [end:model-name]

    # --8<-- [start:base-url]
    root = workshop.server_root()
    print(f"4. OpenAI(base_url={root!r})   # without /v1")
    try:
        openai.OpenAI(base_url=root, api_key=workshop.api_key(), max_retries=0).models.list()
        unexpected("the server answered without /v1")
    except openai.NotFoundError as exc:
        print("   ->", exc.status_code, "for GET", root + "/models")
    print(f"   instead: base_url={workshop.base_url()!r}")
    # --8<-- [end:base-url]

    # --8<-- [start:unknown-field]
    print('5. extra_body={"streaming": True}   # a field the server does not know')
    response = client.chat.completions.with_raw_response.create(
        model=model, messages=messages, max_tokens=8, extra_body={"streaming": True})
    kind = response.headers.get("content-type", "").split(";")[0]
    print("   -> HTTP", response.status_code, "|", kind, "|", response.parse().object,
          "(one whole reply: the field was ignored, without an error)")
    if response.status_code != 200 or kind != "application/json":
        unexpected("the server did something with an unknown field")
    print("   instead: stream=True (the field's real name); a misspelt field fails silently")
    # --8<-- [end:unknown-field]

    # --8<-- [start:old-import]
    print("6. from vllm.entrypoints.openai.tool_parsers import ToolParser   # in a parser plugin")
    for name in ("vllm.entrypoints.openai.tool_parsers", "vllm.tool_parsers"):
        print(f"   -> {name}:", "present" if importlib.util.find_spec(name) else "none (removed)")
    if importlib.util.find_spec("vllm.entrypoints.openai.tool_parsers"):
        unexpected("the old tool parser package is still there")
    print("   instead: from vllm.tool_parsers import ToolParser, ToolParserManager")
    # --8<-- [end:old-import]


if __name__ == "__main__":
    workshop.run(main, arguments=False)
