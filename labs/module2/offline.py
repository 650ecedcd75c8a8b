"""Module 2 lab: structured outputs offline, with ``LLM`` and ``SamplingParams`` (no server).

Run: ``python labs/module2/offline.py``

Loads the model into this process (about half a minute on the workshop's 2-core CPU) and triages
``ticket.MESSAGES`` in one batch with
``SamplingParams(structured_outputs=StructuredOutputsParams(json=TICKET_SCHEMA))``, then labels
their sentiment with ``StructuredOutputsParams(choice=[...])``. The engine is built with
``structured_outputs_config={"backend": "xgrammar", "disable_any_whitespace": True}``, the same
setting as the server flag ``--structured-outputs-config``: JSON comes out compact. Every ticket
goes through ``ticket.parse_ticket``; exits 1 if one is invalid or a label is not in the list.

Environment: ``WORKSHOP_MODEL_DIR`` (default ``.workshop/models/SmolLM2-135M-Instruct``; on a GPU
box a Hugging Face ID); on a CPU ``VLLM_CPU_KVCACHE_SPACE=1`` (GiB) and
``VLLM_LOGGING_LEVEL=WARNING`` unless you set them, as in ``labs/module1/offline_batch.py``.
"""
import os

os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
os.environ.setdefault("VLLM_LOGGING_LEVEL", "WARNING")

# --8<-- [start:offline]
from vllm import LLM, SamplingParams
from vllm.sampling_params import StructuredOutputsParams

import ticket

MODEL = os.environ.get("WORKSHOP_MODEL_DIR", ".workshop/models/SmolLM2-135M-Instruct")
SENTIMENTS = ["positive", "neutral", "negative"]


def main() -> int:
    llm = LLM(model=MODEL, dtype="float32", enforce_eager=True, max_model_len=2048, seed=0,
              structured_outputs_config={"backend": "xgrammar", "disable_any_whitespace": True})

    as_ticket = SamplingParams(temperature=0, max_tokens=200, structured_outputs=(
        StructuredOutputsParams(json=ticket.TICKET_SCHEMA)))
    conversations = [[{"role": "system", "content": ticket.SYSTEM_PROMPT},
                      {"role": "user", "content": message}] for message in ticket.MESSAGES]
    failures = 0
    for output in llm.chat(conversations, as_ticket, use_tqdm=False):
        completion = output.outputs[0]
        try:
            ticket.parse_ticket(completion.text, completion.finish_reason)
            print(f"ticket    | valid   | {completion.text}")
        except ticket.InvalidOutput as err:
            failures += 1
            print(f"ticket    | INVALID | {err}")

    as_label = SamplingParams(temperature=0, max_tokens=5, structured_outputs=(
        StructuredOutputsParams(choice=SENTIMENTS)))
    prompts = [f"Customer message: {m}\nSentiment:" for m in ticket.MESSAGES]
    for output in llm.generate(prompts, as_label, use_tqdm=False):
        label = output.outputs[0].text
        failures += label not in SENTIMENTS
        print(f"sentiment | {label}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
# --8<-- [end:offline]
