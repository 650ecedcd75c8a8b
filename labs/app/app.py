"""ACME's support chat: a web page, an HTTP API and (``cli.py``) a terminal, over one vLLM server.

Run: ``python labs/app/app.py [--port PORT]``  (default: a free port; the URL is printed)

Reads ``VLLM_BASE_URL``, ``VLLM_API_KEY``, ``VLLM_MODEL`` like every lab, and ``ACME_DB``. The app
relays vLLM's stream to its clients as Server-Sent Events and runs ACME's tools (``labs/acme/``,
the same functions as Modules 3 and 4) with Module 4's policy: a read runs at once, a write waits
until a person approves it.

HTTP API (FastAPI; the schema is served at ``/docs``):

``POST /api/chat``
    body ``{"prompt": str}`` or ``{"messages": [{"role", "content"}, ...]}``, plus
    ``"temperature"`` (0 to 2, vLLM's range; default 0.7), ``"max_tokens"`` (1 to 1024, default
    256) and ``"tool_choice"`` (``"auto"``, ``"required"``, ``"none"`` or a tool's name; default
    ``"auto"``). Answers ``text/event-stream``, one event per line pair ``event: <name>`` /
    ``data: <json>``:

    - ``token`` ``{"text"}``: a piece of the reply, as vLLM streams it;
    - ``tool_call`` ``{"id", "name", "arguments", "kind"}``: the model proposes a call;
    - ``approval_needed`` ``{"id", "name", "arguments"}``: a write waits for
      ``POST /api/approvals/{id}``;
    - ``tool_result`` ``{"id", "name", "ok", "result" | "error"}``;
    - ``done`` ``{"finish_reason", "steps"}``; ``error`` ``{"message", "fix"}`` (the stream
      ends after either).

``POST /api/chat/complete``
    the same body; one JSON answer ``{"reply", "tool_calls", "finish_reason"}``. No one can
    approve a write there, so writes are denied.
``POST /api/approvals/{id}``
    ``{"decision": "approve" | "deny"}``: answers a waiting write (404 for an unknown id).
``GET /api/health``
    ``{"status": "ok", "vllm": <base URL>}``.

Bad input gets HTTP 422 with ``{"error": ..., "fix": ...}``. A client that disconnects (the
page's Stop button) cancels its request upstream: the app closes its stream to vLLM, and vLLM
aborts the generation. If vLLM is down or drops the stream, the client gets an ``error`` event and
the app keeps serving.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import openai
import uvicorn
from fastapi import FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sse_starlette.sse import EventSourceResponse

import workshop
from acme.tools import TOOLS, ToolError, call, openai_tools

STATIC = Path(__file__).with_name("static")
SYSTEM = ("You are ACME Corp's customer support assistant. ACME sells garden tools. Use the tools "
          "to look up orders and customers; never invent order details. Be brief and friendly.")
MAX_STEPS = 3                 # rounds of tool calls per question
APPROVAL_TIMEOUT_S = 300.0    # a write nobody answers within this is denied


# --8<-- [start:request]
class Message(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["system", "user", "assistant"]
    content: str = Field(min_length=1, max_length=20_000)


class ChatRequest(BaseModel):
    """One chat turn: a prompt, or the whole conversation so far."""

    model_config = ConfigDict(extra="forbid")  # a misspelt field is an error, not ignored
    prompt: str | None = Field(default=None, min_length=1, max_length=20_000)
    messages: list[Message] | None = Field(default=None, min_length=1, max_length=100)
    temperature: float = Field(default=0.7, ge=0.0, le=2.0)   # vLLM accepts 0 to 2
    max_tokens: int = Field(default=256, ge=1, le=1024)
    tool_choice: str = "auto"

    @model_validator(mode="after")
    def one_input(self):
        if (self.prompt is None) == (self.messages is None):
            raise ValueError('send either "prompt" or "messages", not both and not neither')
        if self.tool_choice not in ("auto", "required", "none", *TOOLS):
            raise ValueError(f"tool_choice must be auto, required, none or one of {list(TOOLS)}")
        return self
# --8<-- [end:request]


class Decision(BaseModel):
    decision: Literal["approve", "deny"]


@dataclass
class Pending:
    """A write waiting for a person."""

    name: str
    arguments: str
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    decision: str = "deny"


app = FastAPI(title="ACME support chat")
pending: dict[str, Pending] = {}


def llm() -> openai.AsyncOpenAI:
    """The vLLM client: ``$VLLM_BASE_URL`` and ``$VLLM_API_KEY`` as in every lab."""
    return openai.AsyncOpenAI(base_url=os.environ.get("VLLM_BASE_URL", "http://localhost:8000/v1"),
                              api_key=os.environ.get("VLLM_API_KEY", "EMPTY"), max_retries=0, timeout=120)


async def model_name(client: openai.AsyncOpenAI) -> str:
    """``$VLLM_MODEL``, else the first model the server lists."""
    return os.environ.get("VLLM_MODEL") or (await client.models.list()).data[0].id


def explain(exc: Exception) -> dict:
    """An ``error`` event ``{"message", "fix"}`` for a failure talking to vLLM mid-conversation.

    A dropped connection and a too-long conversation (HTTP 400) get the app's own words; any
    other refusal (a key, a model or URL, a server without tool calling, another HTTP 400) gets
    the labs' message and fix for its cause (``workshop.explain``)."""
    if isinstance(exc, openai.APIConnectionError):
        return {"message": f"the vLLM server does not answer ({exc.__cause__ or exc})",
                "fix": "start it (./scripts/start) or check VLLM_BASE_URL; then send again"}
    known = workshop.explain(exc)
    if isinstance(exc, openai.BadRequestError) and "maximum context length" in str(exc.message):
        body = exc.body if isinstance(exc.body, dict) else {}
        return {"message": f"vLLM answered HTTP 400: {body.get('message', exc.message)}",
                "fix": "shorten the conversation or lower max_tokens"}
    if known:
        message, _, fix = known.partition("\n  fix: ")
        return {"message": message, "fix": fix or "see the app's log"}
    return {"message": f"{type(exc).__name__}: {exc}", "fix": "send again; see the app's log"}


def check_server() -> str:
    """Check vLLM before serving: it answers, takes the key, serves ``$VLLM_MODEL`` and calls
    tools (one 1-token request with ``tool_choice="auto"``, which vLLM refuses with HTTP 400
    when started without ``--enable-auto-tool-choice``). Returns the model's name; raises
    ``workshop.WorkshopError`` or the ``openai`` error, which ``workshop.run`` prints as
    ``error: ... fix: ...``. Later failures (vLLM restarting) become ``error`` events instead."""
    client = workshop.client(timeout=60)
    name = workshop.model(client)
    client.chat.completions.create(model=name, messages=[{"role": "user", "content": "hi"}],
                                   tools=openai_tools("get_order_status"), tool_choice="auto",
                                   max_tokens=1)
    return name


def event(name: str, data: dict) -> dict:
    return {"event": name, "data": json.dumps(data, ensure_ascii=False)}


# --8<-- [start:relay]
async def relay(chat: ChatRequest, approvals: bool):
    """The conversation as SSE events (see the module docstring). Cancelled when the client goes:
    leaving the ``async with`` closes the stream to vLLM, which then aborts the generation."""
    client = llm()
    messages = [{"role": "system", "content": SYSTEM}]
    messages += [m.model_dump() for m in chat.messages] if chat.messages else [
        {"role": "user", "content": chat.prompt}]
    tools = openai_tools() if chat.tool_choice != "none" else None
    choice = chat.tool_choice if chat.tool_choice in ("auto", "required", "none") else {
        "type": "function", "function": {"name": chat.tool_choice}}
    try:
        model = await model_name(client)
        for step in range(1, MAX_STEPS + 1):
            calls: dict[int, dict] = {}
            finish = None
            stream = await client.chat.completions.create(
                model=model, messages=messages, tools=tools, tool_choice=choice if step == 1 else "auto",
                parallel_tool_calls=False, temperature=chat.temperature,
                max_tokens=chat.max_tokens, stream=True)
            async with stream:
                async for chunk in stream:
                    if not chunk.choices:
                        continue
                    delta = chunk.choices[0].delta
                    if delta.content:
                        yield event("token", {"text": delta.content})
                    for piece in delta.tool_calls or []:
                        c = calls.setdefault(piece.index, {"id": None, "name": "", "arguments": ""})
                        c["id"] = c["id"] or piece.id
                        c["name"] += (piece.function.name or "") if piece.function else ""
                        c["arguments"] += (piece.function.arguments or "") if piece.function else ""
                    finish = chunk.choices[0].finish_reason or finish
            if not calls:
                yield event("done", {"finish_reason": finish, "steps": step})
                return
            messages.append({"role": "assistant", "content": None, "tool_calls": [
                {"id": c["id"], "type": "function",
                 "function": {"name": c["name"], "arguments": c["arguments"]}} for c in calls.values()]})
            for c in calls.values():
                async for item in run_tool(c, approvals):
                    if item.get("event"):
                        yield item
                    else:
                        messages.append(item)
        yield event("done", {"finish_reason": "tool_calls", "steps": MAX_STEPS})
    except (openai.OpenAIError, OSError) as exc:
        yield event("error", explain(exc))
    finally:
        await client.close()
# --8<-- [end:relay]


# --8<-- [start:tool]
async def run_tool(c: dict, approvals: bool):
    """Events for one proposed call, then the ``tool`` message for the model (last item)."""
    tool = TOOLS.get(c["name"])
    kind = tool.kind if tool else "unknown"
    yield event("tool_call", {"id": c["id"], "name": c["name"], "arguments": c["arguments"], "kind": kind})
    approved = kind == "read"
    if kind == "write" and approvals:
        waiting = pending[c["id"]] = Pending(c["name"], c["arguments"])
        yield event("approval_needed", {"id": c["id"], "name": c["name"], "arguments": c["arguments"]})
        try:
            await asyncio.wait_for(waiting.answered.wait(), APPROVAL_TIMEOUT_S)
        except TimeoutError:
            pass
        finally:
            pending.pop(c["id"], None)
        approved = waiting.decision == "approve"
    if kind == "unknown" or approved:
        try:
            result = await asyncio.to_thread(call, c["name"], c["arguments"])
            yield event("tool_result", {"id": c["id"], "name": c["name"], "ok": True, "result": result})
            content = json.dumps(result, ensure_ascii=False)
        except ToolError as err:
            yield event("tool_result", {"id": c["id"], "name": c["name"], "ok": False, "error": str(err)})
            content = json.dumps({"error": str(err)})
    else:
        error = "a person denied this call; tell the customer it was not done"
        yield event("tool_result", {"id": c["id"], "name": c["name"], "ok": False, "error": error})
        content = json.dumps({"error": error})
    yield {"role": "tool", "tool_call_id": c["id"], "content": content}
# --8<-- [end:tool]


@app.exception_handler(RequestValidationError)
async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:  # noqa: ARG001
    first = exc.errors()[0]
    if first.get("type") == "json_invalid":  # loc is ("body", <character offset>): not a field
        reason = (first.get("ctx") or {}).get("error", "not JSON")
        return JSONResponse(status_code=422, content={
            "error": f"invalid request: the body is not valid JSON ({reason} at character "
                     f"{first['loc'][-1]})",
            "fix": 'send a JSON object with Content-Type: application/json, e.g. '
                   '{"prompt": "Where is order ACME-1042?"} (check quotes and commas)',
            "detail": jsonable_encoder(exc.errors())})
    where = ".".join(str(p) for p in first["loc"] if p != "body")
    return JSONResponse(status_code=422, content={
        "error": f"invalid request: {where or 'body'}: {first['msg']}",
        "fix": "see the request fields in labs/app/app.py (or GET /docs)",
        "detail": jsonable_encoder(exc.errors())})


@app.post("/api/chat")
async def chat_stream(chat: ChatRequest) -> EventSourceResponse:
    return EventSourceResponse(relay(chat, approvals=True), ping=10)


@app.post("/api/chat/complete")
async def chat_complete(chat: ChatRequest) -> dict:
    reply, tool_calls, finish = [], [], None
    async for item in relay(chat, approvals=False):
        data = json.loads(item["data"])
        if item["event"] == "token":
            reply.append(data["text"])
        elif item["event"] == "tool_result":
            tool_calls.append(data)
        elif item["event"] == "done":
            finish = data["finish_reason"]
        elif item["event"] == "error":
            raise HTTPException(status_code=502, detail=data)
    return {"reply": "".join(reply), "tool_calls": tool_calls, "finish_reason": finish}


@app.post("/api/approvals/{call_id}")
async def approve(call_id: str, answer: Decision) -> dict:
    waiting = pending.get(call_id)
    if waiting is None:
        raise HTTPException(status_code=404, detail={
            "error": f"no write is waiting for approval under {call_id!r}",
            "fix": "use the id of an approval_needed event that has not been answered"})
    waiting.decision = answer.decision
    waiting.answered.set()
    return {"id": call_id, "decision": answer.decision}


@app.get("/api/health")
async def health() -> dict:
    return {"status": "ok", "vllm": os.environ.get("VLLM_BASE_URL", "http://localhost:8000/v1")}


@app.get("/")
async def index() -> FileResponse:
    return FileResponse(STATIC / "index.html")


app.mount("/static", StaticFiles(directory=STATIC), name="static")


def main(argv: list[str] | None = None) -> int:
    ap = workshop.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="default: a free port")
    args = ap.parse_args(argv)
    import socket

    if args.port:  # a taken port fails here, before vLLM is asked and before the URL is printed
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            try:
                s.bind((args.host, args.port))
            except OSError as exc:
                raise workshop.WorkshopError(
                    f"cannot serve on {args.host}:{args.port} ({exc.strerror}).\n  fix: choose "
                    "another port, or leave --port out to get a free one") from exc
    print(f"vLLM: {workshop.base_url()}, model {check_server()}", flush=True)
    port = args.port
    if not port:
        with socket.socket() as s:
            s.bind((args.host, 0))
            port = s.getsockname()[1]
    print(f"ACME support chat: http://{args.host}:{port}/  (API: /api/chat, Ctrl+C stops)", flush=True)
    try:
        uvicorn.run(app, host=args.host, port=port, log_level="warning")
    except SystemExit as exc:  # uvicorn exits when the port is taken
        print(f"error: cannot serve on {args.host}:{port}\n  fix: choose another port, or leave "
              "--port out to get a free one", file=sys.stderr)
        return int(exc.code or 1)
    return 0


if __name__ == "__main__":
    workshop.run(main)
