"""Module 2 lab: structured outputs offline, with ``LLM`` and ``SamplingParams`` (no server).

Run: ``python labs/module2/offline.py`` (about 45 s on the workshop's idle 2-core CPU, most of it
importing vLLM, starting the engine and loading the model; each long step, each batch and, at the
end, stopping vLLM's engine (``workshop.finish``) included, says what it waits for at once, then a
line every 15 s: ``workshop.waiting``)

Loads the model into this process and triages ``ticket.MESSAGES`` in one batch with
``SamplingParams(structured_outputs=StructuredOutputsParams(json=TICKET_SCHEMA))``, then labels
their sentiment with ``StructuredOutputsParams(choice=[...])``. The engine is built with
``structured_outputs_config={"backend": "xgrammar", "disable_any_whitespace": True}``, the same
setting as the server flag ``--structured-outputs-config``: JSON comes out compact. Prints
``ticket    | valid   | compact: True | <the reply>`` per message, then ``sentiment | <label>`` per message.
Every ticket goes through ``ticket.parse_ticket`` and must have no whitespace between JSON tokens
(``ticket.whitespace_between_tokens``); exits 1 if one is invalid or not compact, or a label is
not in the list.

Environment: ``WORKSHOP_MODEL_DIR`` (default ``.workshop/models/SmolLM2-135M-Instruct``; on a GPU
box a Hugging Face ID; a path that is neither ends the lab with one ``error: ... fix: ...``,
see ``workshop.model_dir``). Unless you set them, the lab sets, as ``labs/module1/offline_batch.py``
does: ``VLLM_CPU_KVCACHE_SPACE=1`` (GiB, so that it fits beside a running server), and three
settings that keep the start-up notes of vLLM and PyTorch from burying the results (errors still
show): ``VLLM_LOGGING_LEVEL=ERROR`` (vLLM's warnings on a CPU: ``--enforce-eager`` disables
``torch.compile``, Triton is missing so the V1 model runner is used, ``libtcmalloc`` and
``libiomp`` are not preloaded; from ``vllm/config/vllm.py``, ``vllm/platforms/cpu.py`` and
``vllm/v1/worker/cpu_worker.py``), ``TORCH_CPP_LOG_LEVEL=ERROR`` (a note on NUMA memory binding
from vLLM's CPU kernels, ``vllm/_C*.so``, logged through PyTorch's C++ log) and a
``PYTHONWARNINGS`` filter for one ``FutureWarning`` (``vllm/triton_utils/dispatcher.py`` touches
the deprecated ``torch.distributed.reduce_op``). Run with ``VLLM_LOGGING_LEVEL=WARNING`` to see
vLLM's warnings. Still printed: ``Triton is installed, but doesn't include CPU backend. Disabling
Triton.`` once per process (this one, the engine core, its worker; ``vllm/triton_utils/importing.py``
logs it while vLLM is imported, before vLLM's log level applies) and the progress bar of loading
the weights.
"""
# --8<-- [start:quiet]
import os

# Before vLLM is imported; its engine processes inherit these. Errors still show.
os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")  # GiB of KV cache: fits beside the server
os.environ.setdefault("VLLM_LOGGING_LEVEL", "ERROR")  # vLLM's warnings about running on a CPU
os.environ.setdefault("TORCH_CPP_LOG_LEVEL", "ERROR")  # a note on NUMA memory binding
os.environ.setdefault("PYTHONWARNINGS",               # vLLM uses a deprecated torch name
                      "ignore:`torch.distributed.reduce_op` is deprecated:FutureWarning")
# --8<-- [end:quiet]

# --8<-- [start:offline]
import ticket
import workshop

SENTIMENTS = ["positive", "neutral", "negative"]


def main() -> int:
    model = workshop.model_dir()  # $WORKSHOP_MODEL_DIR, else the workshop's model folder
    # Each long step prints a line at once, then one every 15 s: never a silent wait.
    with workshop.waiting("importing vLLM"):
        from vllm import LLM, SamplingParams
        from vllm.sampling_params import StructuredOutputsParams
    with workshop.waiting("loading the model into this process"):
        llm = LLM(model=model, dtype="float32", enforce_eager=True, max_model_len=2048, seed=0,
                  structured_outputs_config={"backend": "xgrammar", "disable_any_whitespace": True})

    as_ticket = SamplingParams(temperature=0, max_tokens=200, structured_outputs=(
        StructuredOutputsParams(json=ticket.TICKET_SCHEMA)))
    conversations = [[{"role": "system", "content": ticket.SYSTEM_PROMPT},
                      {"role": "user", "content": message}] for message in ticket.MESSAGES]
    as_label = SamplingParams(temperature=0, max_tokens=5, structured_outputs=(
        StructuredOutputsParams(choice=SENTIMENTS)))
    prompts = [f"Customer message: {m}\nSentiment:" for m in ticket.MESSAGES]
    failures = 0
    with workshop.waiting("running chat"):
        outputs = llm.chat(conversations, as_ticket, use_tqdm=False)
    for output in outputs:
        completion = output.outputs[0]
        try:
            ticket.parse_ticket(completion.text, completion.finish_reason)
        except ticket.InvalidOutput as err:
            failures += 1
            print(f"ticket    | INVALID | {err}")
            continue
        compact = ticket.whitespace_between_tokens(completion.text) == 0
        failures += not compact
        print(f"ticket    | valid   | compact: {compact} | {completion.text}")

    with workshop.waiting("running generate"):
        outputs = llm.generate(prompts, as_label, use_tqdm=False)
    for output in outputs:
        label = output.outputs[0].text
        failures += label not in SENTIMENTS
        print(f"sentiment | {label}")
    if failures:
        raise workshop.WorkshopError(
            f"{failures} of {2 * len(ticket.MESSAGES)} outputs broke their constraint (INVALID, compact: "
            "False or a label outside SENTIMENTS above).\n  fix: install the workshop's vLLM again "
            "(./scripts/setup.sh); Module 2, section 7 shows the expected lines")
    return 0


if __name__ == "__main__":
    workshop.no_options(settings="WORKSHOP_MODEL_DIR")  # an option it does not take: error/fix
    workshop.run(main)  # a failure: error and fix; at the end, vLLM's engine stops, announced
# --8<-- [end:offline]
