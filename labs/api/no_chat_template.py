"""API guide lab: a model without a chat template (a base model): what fails, and the two fixes.

Run: ``python labs/api/no_chat_template.py``

A chat request needs the model's chat template to turn messages into one prompt. Base models
such as ``facebook/opt-125m`` or ``microsoft/DialoGPT-small`` ship none. The lab makes such a
model's tokenizer from the workshop's (``WORKSHOP_MODEL_DIR``, default
``.workshop/models/SmolLM2-135M-Instruct``; a Hugging Face ID also works) by saving it without
its template, then:

1. renders a conversation with vLLM's own function (``safe_apply_chat_template`` in
   ``vllm/renderers/hf.py``, vLLM 0.32), which the server runs on every chat request: it raises
   the error a chat request to that model gets (HTTP 400);
2. fix 1, no template needed: ``/v1/completions`` with a prompt written by the client, sent to
   the server (``VLLM_BASE_URL``, ``VLLM_MODEL``);
3. fix 2: a template given at start-up, ``vllm serve MODEL --chat-template FILE``: the same
   function with ``labs/api/plain_chat.jinja`` shows the prompt the server would then build.

Prints what it waits for while importing transformers and vLLM (16 s on the workshop's 2-core
machine while other tests ran, load average 6 to 7; a line every 15 s), then one line per step;
exits 1 if vLLM renders the conversation without a template.
"""
import logging
import os
import re
import tempfile
import types
import warnings

os.environ.setdefault("VLLM_LOGGING_LEVEL", "ERROR")
logging.getLogger("vllm").setLevel(logging.ERROR)
warnings.simplefilter("ignore", DeprecationWarning)

import workshop  # noqa: E402

MODEL_DIR = os.environ.get("WORKSHOP_MODEL_DIR", ".workshop/models/SmolLM2-135M-Instruct")
TEMPLATE = "labs/api/plain_chat.jinja"
CHAT = [{"role": "user", "content": "Where is order ACME-1042?"}]


def main() -> int:
    client = workshop.client()
    model = workshop.model(client)
    try:
        # A walkthrough on the busy 2-core machine saw its first line after 40 s, most of it
        # these imports: a line first and every 15 s says what it waits for instead of a silence.
        with workshop.waiting("importing transformers and vLLM's chat template code"):
            from transformers import AutoTokenizer
            from vllm.renderers.hf import safe_apply_chat_template
    except ImportError as exc:
        raise workshop.WorkshopError(
            f"this lab runs vLLM's own code, and this environment has no vLLM ({exc}).\n  fix: run "
            "it where vLLM is installed (the CPU or GPU set-up of 'Before you begin')") from exc
    if not os.path.isdir(MODEL_DIR) and not re.fullmatch(r"[\w.-]+/[\w.-]+", MODEL_DIR):
        raise workshop.WorkshopError(
            f"no model folder at {MODEL_DIR}.\n  fix: run ./scripts/start (it prepares the model), "
            "or export WORKSHOP_MODEL_DIR=<a model folder, or a Hugging Face ID such as Qwen/Qwen3-0.6B>")

    # --8<-- [start:no-template]
    workdir = tempfile.TemporaryDirectory(prefix="no-template-")  # removed when the lab ends
    bare = workdir.name
    tokenizer = AutoTokenizer.from_pretrained(MODEL_DIR)
    tokenizer.chat_template = None
    tokenizer.save_pretrained(bare)  # a tokenizer like a base model's: no chat template
    tokenizer = AutoTokenizer.from_pretrained(bare)
    config = types.SimpleNamespace(  # the parts of the server's ModelConfig the function reads
        model=bare, tokenizer=bare, tokenizer_revision=None, code_revision=None,
        trust_remote_code=False, hf_config=types.SimpleNamespace(model_type="opt"))
    print("chat template:", tokenizer.chat_template)
    try:
        safe_apply_chat_template(config, tokenizer, CHAT, tokenize=False)
    except Exception as exc:  # noqa: BLE001 - vLLM's ChatTemplateResolutionError
        print(f"chat request  -> {type(exc).__name__}: {exc}")
    else:  # rendered without a template: this page would be wrong
        raise workshop.WorkshopError("this vLLM rendered a chat without a chat template.\n  fix: "
                                     "compare its version with the one the page was checked with")
    # --8<-- [end:no-template]

    # --8<-- [start:completions]
    prompt = "User: Where is order ACME-1042?\nAssistant:"  # the client writes the format
    reply = client.completions.create(model=model, prompt=prompt, max_tokens=16, temperature=0,
                                      stop=["\nUser:"])
    print(f"fix 1, /v1/completions -> {reply.choices[0].text.strip()[:60]!r}")
    # --8<-- [end:completions]

    # --8<-- [start:chat-template]
    with open(TEMPLATE, encoding="utf-8") as f:  # what --chat-template FILE reads at start-up
        rendered = safe_apply_chat_template(config, tokenizer, CHAT, chat_template=f.read(),
                                            tokenize=False, add_generation_prompt=True)
    print(f"fix 2, --chat-template {TEMPLATE} -> prompt {rendered!r}")
    # --8<-- [end:chat-template]
    return 0


if __name__ == "__main__":
    workshop.run(main, arguments=False)
