"""Module 3 lab: tool calling offline: ``LLM.chat(..., tools=...)``, parsed by the same parser.

Run: ``python labs/module3/offline_tools.py``  (no server; loads its own copy of the model, which
fits beside a running server: 126 s of the lab's 163 s on the 2-core machine while other tests ran
there. Each long step, importing vLLM, loading the model, the chat call and, at the end, stopping
vLLM's engine (``workshop.finish``), says what it waits for at once, then a line every 15 s:
``workshop.waiting``)

Offline there is no server to parse the reply: ``LLM.chat`` renders the tools into the prompt with
the chat template and returns the model's raw text. The lab constrains that text with the same
grammar the server uses for ``tool_choice="required"`` (the ``smollm2`` structural tag, built by
vLLM's ``get_model_structural_tag`` from the plugin's registration), prints the raw reply, and
turns it into OpenAI-style tool calls with the plugin's parser (``SmolLM2ToolParser``). Exits 1
if no call is parsed.

Environment: ``WORKSHOP_MODEL_DIR`` (default ``.workshop/models/SmolLM2-135M-Instruct``; a path
that is neither a folder nor a Hugging Face ID ends the lab with one ``error: ... fix: ...`` before
vLLM is imported, see ``workshop.model_dir``).
Unless you set them, the lab sets ``VLLM_CPU_KVCACHE_SPACE=1`` (GiB) and keeps vLLM's and
PyTorch's start-up notes from burying the result, as Module 1's offline batch does (errors still
show; ``VLLM_LOGGING_LEVEL=WARNING`` shows vLLM's warnings about running on a CPU).
"""
import os

os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
os.environ.setdefault("VLLM_LOGGING_LEVEL", "ERROR")   # vLLM's warnings about running on a CPU
os.environ.setdefault("TORCH_CPP_LOG_LEVEL", "ERROR")  # a note on NUMA memory binding
os.environ.setdefault("PYTHONWARNINGS",                # vLLM uses a deprecated torch name
                      "ignore:`torch.distributed.reduce_op` is deprecated:FutureWarning")

import json  # noqa: E402 - after the environment vLLM reads at import
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from acme.tools import openai_tools  # noqa: E402
import workshop  # noqa: E402

TEMPLATE = Path("labs/serve/smollm2_tools.jinja").read_text()
PLUGIN = "labs/serve/smollm2_tool_parser.py"


def main() -> int:
    model = workshop.model_dir()  # $WORKSHOP_MODEL_DIR, else the workshop's model folder
    # Each long step prints a line at once, then one every 15 s: never a silent wait.
    with workshop.waiting("importing vLLM"):
        from vllm import LLM, SamplingParams
        from vllm.entrypoints.openai.chat_completion.protocol import ChatCompletionToolsParam
        from vllm.sampling_params import StructuredOutputsParams
        from vllm.tool_parsers import ToolParserManager
        from vllm.tool_parsers.structural_tag_registry import get_model_structural_tag

    # --8<-- [start:offline]
    tools = openai_tools(["get_order_status", "get_customer"])
    parser_class = ToolParserManager.import_tool_parser(PLUGIN) or ToolParserManager.get_tool_parser("smollm2")
    tag = get_model_structural_tag("smollm2", [ChatCompletionToolsParam(**t) for t in tools],
                                   "required", reasoning=False)
    params = SamplingParams(temperature=0, max_tokens=100, structured_outputs=StructuredOutputsParams(
        structural_tag=json.dumps(tag.model_dump())))

    with workshop.waiting("loading the model into this process"):
        llm = LLM(model=model, dtype="float32", enforce_eager=True, max_model_len=4096, seed=0)
    messages = [{"role": "user", "content": "Is jane@example.com one of our customers?"}]
    with workshop.waiting("running chat"):
        raw = llm.chat(messages, params, tools=tools, chat_template=TEMPLATE, use_tqdm=False)[0].outputs[0].text
    print(f"raw reply: {raw}")

    parsed = parser_class(llm.get_tokenizer()).extract_tool_calls(raw, request=None)
    for call in parsed.tool_calls:
        print(f"parsed:    {call.function.name}({call.function.arguments})")
    # --8<-- [end:offline]
    if not parsed.tools_called:
        print("error: the parser found no tool call in the raw reply above, although the structural "
              "tag required one.\n  fix: install the workshop's vLLM and its smollm2 parser again "
              "(./scripts/setup.sh); Module 3, section 9 shows the expected lines", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    import workshop

    workshop.no_options(settings="WORKSHOP_MODEL_DIR")  # an option it does not take: error/fix
    workshop.run(main)  # a wrong model: error and fix, before vLLM's import; the engine stops announced
