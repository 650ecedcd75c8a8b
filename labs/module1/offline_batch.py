"""Module 1 lab: offline batch inference with ``vllm.LLM`` and ``SamplingParams`` (no server).

Run: ``python labs/module1/offline_batch.py``

Imports vLLM and loads the model into this process (about 25 s on the workshop's idle 2-core
CPU), then runs a batch of prompts with ``generate`` (raw text), a batch of conversations with
``chat`` (the model's chat template applied), and one prompt with ``beam_search`` (the offline form
of the server's ``use_beam_search``: the ``beam_width`` best continuations, each with its summed
log-probability, the prompt included in its text). Prints one line per result. Each long step
(importing vLLM, loading the model, each batch, and at the end stopping vLLM's engine, see
``workshop.finish``) says what it waits for at once, then a line every 15 s until it is done
(``workshop.waiting``): on a busy machine each was silent for 6 to 27 s in a walkthrough.

Environment: ``WORKSHOP_MODEL_DIR`` (default ``.workshop/models/SmolLM2-135M-Instruct``; on a GPU
box set it to a Hugging Face ID such as ``Qwen/Qwen3-0.6B``; a path that is neither a folder nor
an ID ends the lab with one ``error: ... fix: ...``, see ``workshop.model_dir``). On the CPU the lab sets
``VLLM_CPU_KVCACHE_SPACE=1`` (GiB) unless you set it, so it fits beside a running server.
Unless you set them, the lab also keeps the start-up notes of vLLM and PyTorch from burying the
results (errors still show): ``VLLM_LOGGING_LEVEL=ERROR`` hides vLLM's warnings about running on
a CPU (``VLLM_LOGGING_LEVEL=WARNING`` shows them), ``TORCH_CPP_LOG_LEVEL=ERROR`` hides a note on
NUMA memory binding in PyTorch's C++ log, and the ``PYTHONWARNINGS`` filter hides one
``FutureWarning`` from vLLM's use of ``torch.distributed.reduce_op``. vLLM starts its engine in
a child process, hence the ``if __name__ == "__main__":`` guard: without it, the child would run
the script again.
"""
import os

import workshop

os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
os.environ.setdefault("VLLM_LOGGING_LEVEL", "ERROR")
os.environ.setdefault("TORCH_CPP_LOG_LEVEL", "ERROR")
os.environ.setdefault("PYTHONWARNINGS",
                      "ignore:`torch.distributed.reduce_op` is deprecated:FutureWarning")


# --8<-- [start:batch]
def main() -> None:
    model = workshop.model_dir()  # $WORKSHOP_MODEL_DIR, else the workshop's model folder
    # Each long step prints a line at once, then one every 15 s: never a silent wait.
    with workshop.waiting("importing vLLM"):
        from vllm import LLM, SamplingParams
        from vllm.sampling_params import BeamSearchParams
    with workshop.waiting("loading the model into this process"):
        llm = LLM(model=model, dtype="float32", enforce_eager=True, max_model_len=2048, seed=0)
    params = SamplingParams(temperature=0, max_tokens=24)

    prompts = ["The capital of France is", "A good support reply starts with"]
    with workshop.waiting("running generate"):
        outputs = llm.generate(prompts, params, use_tqdm=False)
    for output in outputs:
        print(f"generate | {output.prompt!r} -> {output.outputs[0].text!r}")

    conversations = [
        [{"role": "user", "content": "What is the capital of France?"}],
        [{"role": "system", "content": "You are ACME's support assistant."},
         {"role": "user", "content": "Say hello to a customer in one sentence."}],
    ]
    with workshop.waiting("running chat"):
        outputs = llm.chat(conversations, params, use_tqdm=False)
    for output in outputs:
        completion = output.outputs[0]
        print(f"chat     | {completion.text!r} ({len(completion.token_ids)} tokens, "
              f"{completion.finish_reason})")

    with workshop.waiting("running beam_search"):
        beams = llm.beam_search([{"prompt": "The capital of France is"}],
                                BeamSearchParams(beam_width=2, max_tokens=8))
    for rank, beam in enumerate(beams[0].sequences):
        print(f"beam {rank}   | {beam.text!r} (log-probability {beam.cum_logprob:.2f})")


if __name__ == "__main__":
    workshop.no_options(settings="WORKSHOP_MODEL_DIR")  # an option it does not take: error/fix
    workshop.run(main)  # a wrong model: error and fix; at the end, vLLM's engine stops, announced
# --8<-- [end:batch]
