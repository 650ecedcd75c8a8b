"""Module 3 lab: which ``--tool-call-parser`` goes with which model family, checked against the
parsers this vLLM really has.

Run: ``python labs/module3/parsers.py``  (no server needed; importing vLLM's parsers took 10 s
to a minute on the workshop's 2-core machine, longer the busier it was; a line says so while it
waits)

A model writes its tool calls in the format it was trained on; the server's tool parser must read
that format, and the chat template must show the tools to the model in the same convention. The
table below is the workshop's one list of the pairs (the page prints it from here). The lab looks
each parser up in the installed vLLM's registry (``ToolParserManager``, whose names are the
``_TOOL_PARSERS_TO_REGISTER`` keys in ``vllm/tool_parsers/__init__.py``), then loads the workshop's
own plugin (``labs/serve/smollm2_tool_parser.py``) the way ``--tool-parser-plugin`` does.
Prints one line per family; exits 1 if a parser is missing (renamed or removed in this version).
"""
import logging
import os
import sys

os.environ.setdefault("VLLM_LOGGING_LEVEL", "ERROR")
logging.getLogger("vllm").setLevel(logging.ERROR)

# --8<-- [start:table]
# (model family, an example model, --tool-call-parser, where the chat template comes from)
PAIRS = [
    ("Qwen2.5, Qwen3", "Qwen/Qwen3-8B", "hermes", "the model's own"),
    ("Qwen3-Coder", "Qwen/Qwen3-Coder-30B-A3B-Instruct", "qwen3_coder", "the model's own"),
    ("Hermes 2 Pro", "NousResearch/Hermes-2-Pro-Llama-3-8B", "hermes",
     "the model's own (its tool_use template)"),
    ("Hermes 3", "NousResearch/Hermes-3-Llama-3.1-8B", "hermes",
     "the model's own (its tool_use template)"),
    ("Llama 3.1, 3.3", "meta-llama/Llama-3.1-8B-Instruct", "llama3_json",
     "vLLM examples: tool_chat_template_llama3.1_json.jinja"),
    ("Llama 3.2 (1B, 3B)", "meta-llama/Llama-3.2-3B-Instruct", "pythonic",
     "vLLM examples: tool_chat_template_llama3.2_pythonic.jinja"),
    ("Llama 4", "meta-llama/Llama-4-Scout-17B-16E-Instruct", "llama4_pythonic",
     "vLLM examples: tool_chat_template_llama4_pythonic.jinja"),
    ("ToolACE", "Team-ACE/ToolACE-8B", "pythonic",
     "vLLM examples: tool_chat_template_toolace.jinja"),
    ("Mistral", "mistralai/Mistral-7B-Instruct-v0.3", "mistral",
     "vLLM examples: tool_chat_template_mistral_parallel.jinja"),
    ("Granite 3", "ibm-granite/granite-3.3-8b-instruct", "granite", "the model's own"),
    ("xLAM", "Salesforce/Llama-xLAM-2-8b-fc-r", "xlam", "the model's own"),
    ("DeepSeek-V3", "deepseek-ai/DeepSeek-V3", "deepseek_v3",
     "vLLM examples: tool_chat_template_deepseekv3.jinja"),
    ("gpt-oss", "openai/gpt-oss-20b", "openai", "the model's own (Harmony)"),
    ("SmolLM2 (this workshop's CPU profile)", "the bundled SmolLM2-135M-Instruct", "smollm2",
     "labs/serve/smollm2_tools.jinja"),
]
PLUGIN = "labs/serve/smollm2_tool_parser.py"  # registers "smollm2"
# --8<-- [end:table]


def main() -> int:
    import workshop

    # vLLM's parsers take 10 s to a minute to import on two cores: say so instead of a silence.
    with workshop.waiting("importing vLLM's tool parsers"):
        from vllm.tool_parsers import ToolParserManager

    # --8<-- [start:check]
    built_in = set(ToolParserManager.list_registered())
    ToolParserManager.import_tool_parser(PLUGIN)  # what --tool-parser-plugin does
    registered = set(ToolParserManager.list_registered())
    missing = 0
    for family, model, parser, template in PAIRS:
        where = ("built in" if parser in built_in else
                 "plugin" if parser in registered else "MISSING")
        missing += where == "MISSING"
        print(f"{family:38} | {parser:16} | {where:8} | {template}")
    print(f"{len(built_in)} parsers built into this vLLM; {missing} of the table's missing")
    # --8<-- [end:check]
    if missing:
        print(f"error: {missing} of the table's {len(PAIRS)} parsers are not in this vLLM (MISSING "
              "above).\n  fix: install the workshop's vLLM and its parser plugin again "
              "(./scripts/setup.sh); Module 3, section 2 lists the version the table was checked with",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    import workshop

    workshop.no_options(settings=None)  # an option it does not take ends it with error/fix
    raise SystemExit(main())
