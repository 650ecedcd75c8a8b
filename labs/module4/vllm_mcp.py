"""Module 4 lab: what vLLM itself does with an MCP tool in the Responses API, on this model.

Run: ``python labs/module4/vllm_mcp.py``  (importing vLLM's request model took 34 s on the
workshop's 2-core machine at load average 7, more than 120 s at 16: a line says so while it waits)

OpenAI's Responses API lets a request name an MCP server as a tool (``{"type": "mcp",
"server_label", "server_url", "require_approval"}``), and vLLM accepts the field: the lab first
validates such a request with vLLM's own request model (``ResponsesRequest``). But vLLM runs MCP
tools only for gpt-oss models, through the Harmony format and ``--tool-server``
(``vllm/entrypoints/openai/responses/serving.py``: ``use_harmony`` is ``model_type ==
"gpt_oss"``); with any other model the tool is **ignored**, and so is ``require_approval``. The lab
proves it on your server: it points ``server_url`` at a port where it listens itself, sends the
request, and counts the connections vLLM made to it (none) and the MCP items in the output (none).
The reply is the model's text alone; its status is ``incomplete (max_output_tokens)`` when that
text reached the request's ``max_output_tokens`` (30, kept small), which says nothing about MCP.
That is why the approval step of this module lives in the client. Exits 1 if vLLM did contact the
"MCP server" or returned an MCP item (a model that supports it).
"""
import socket
import threading

import workshop


def main() -> int:
    client = workshop.client()
    model = workshop.model(client)  # first: a wrong URL, key or model fails before vLLM's import
    # vLLM's request model, imported only now: importing vLLM (PyTorch) took over 120 s at load 16
    # and 34 s at load 7 with only vLLM's Triton line on screen: a line every 15 s until it is done
    with workshop.waiting("importing vLLM's request model"):
        from vllm.entrypoints.openai.responses.protocol import ResponsesRequest

    connections = []
    with socket.socket() as listener:  # stands where an MCP server would be
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.2)
        port = listener.getsockname()[1]
        done = threading.Event()

        def count():
            while not done.is_set():
                try:
                    conn, _ = listener.accept()
                    connections.append(conn)
                except OSError:
                    pass
        watcher = threading.Thread(target=count, daemon=True)
        watcher.start()
        # --8<-- [start:request]
        mcp_tool = {"type": "mcp", "server_label": "acme", "require_approval": "always",
                    "server_url": f"http://127.0.0.1:{port}/mcp"}
        request = {"model": model, "input": "Where is my order ACME-1042?",
                   "tools": [mcp_tool], "max_output_tokens": 30, "temperature": 0}
        parsed = ResponsesRequest.model_validate(request)  # vLLM's own request model accepts it
        print("vLLM parses the tool as:", type(parsed.tools[0]).__name__, parsed.tools[0].server_label)
        response = client.responses.create(**request)
        kinds = [item.type for item in response.output]
        why = f" ({response.incomplete_details.reason})" if response.incomplete_details else ""
        print(f"status: {response.status}{why} | output items: {kinds}")
        # --8<-- [end:request]
        done.set()
        watcher.join()
    mcp_items = [k for k in kinds if k.startswith("mcp")]
    print(f"connections to the MCP server_url: {len(connections)} | MCP items: {len(mcp_items)}")
    if connections or mcp_items:
        raise workshop.WorkshopError(
            f"this vLLM called the MCP server itself ({len(connections)} connection(s), MCP items "
            f"{mcp_items}): the page describes vLLM 0.32, which does not.\n  fix: read the response "
            "above and compare your vLLM's version (python -c 'import vllm; print(vllm.__version__)') "
            "with the one this page was checked with")
    return 0


if __name__ == "__main__":
    workshop.run(main, arguments=False)
