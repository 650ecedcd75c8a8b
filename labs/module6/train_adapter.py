"""Train a LoRA adapter that teaches the bundled model ACME's house style, on the CPU.

Run from the repository root::

    python labs/module6/train_adapter.py                                   # acme-tone, full profile
    python labs/module6/train_adapter.py --profile quick                   # the CI profile
    python labs/module6/train_adapter.py --style terse --name acme-terse   # a second adapter

What it does: loads SmolLM2-135M-Instruct in float32 with transformers, wraps it with a PEFT LoRA
adapter (r=8, alpha=16, on ``q_proj`` and ``v_proj``: about 0.46 M trainable parameters beside the
model's 135 M frozen ones), and trains it with plain PyTorch (AdamW) on the examples of
``house_style.py``. Each example is rendered with the tokenizer's own chat template, the same
text the vLLM server builds for a request without a system message (the template then adds
SmolLM's default system line), and the loss (mean cross-entropy in nats per token) counts only
the assistant reply's tokens, ``<|im_end|>`` included, so the adapter also learns where to stop.

Profiles (steps of 8 examples): ``quick`` 30 steps (measured on the workshop's idle 2-core
machine: 50 s with 2 threads, 71 s with 1), ``full`` 90 steps, three times as long (its recorded
run: ``labs/module6/record/train_adapter.txt``, made by ``labs/module6/record_adapters.sh``).

Threads: all cores when the machine is idle, one when other programs keep more than half of its
cores busy (measured over one second from ``/proc/stat``; the load average lags a minute behind).
PyTorch's OpenMP threads wait for each other at every step, so one thread on a core that another
program holds stalls the whole step; a single thread waits for nobody.

Output: ``.workshop/adapters/NAME/`` with ``adapter_config.json`` and
``adapter_model.safetensors`` (PEFT's format, which ``vllm serve --enable-lora --lora-modules
NAME=PATH`` loads), and a loss line every few steps on stdout.

Errors (one ``error:`` line and its ``fix:``, exit status 1): the model folder missing
(``python scripts/prepare_model.py``), ``peft`` not installed, a name that is not a folder name.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import sys
import time
from pathlib import Path

import workshop
from workshop import WorkshopError, run

import house_style

ROOT = Path(__file__).resolve().parents[2]
MODEL_DIR = Path(os.environ.get("WORKSHOP_MODEL_DIR") or ROOT / ".workshop/models/SmolLM2-135M-Instruct")
ADAPTERS = ROOT / ".workshop" / "adapters"
#: Steps (batches of BATCH examples) per profile.
PROFILES = {"quick": 30, "full": 90}
BATCH = 8
#: LoRA settings the server must match: --max-lora-rank must be >= RANK.
RANK, ALPHA, TARGETS = 8, 16, ["q_proj", "v_proj"]
LEARNING_RATE = 2e-3  # high for LoRA on a small set: few steps must be enough on a CPU
SEED = 0


def folder_name(value: str) -> str:
    """``--name``: letters, digits, ``-``, ``_`` and ``.`` (it is a folder and a served model name)."""
    if not re.fullmatch(r"[A-Za-z0-9][\w.-]*", value):
        raise argparse.ArgumentTypeError(f"{value!r}: use letters, digits, '-', '_' or '.'")
    return value


def encode(tokenizer, question: str, reply: str) -> tuple[list[int], list[int]]:
    """Token IDs of the chat-templated example and its labels: -100 (ignored by the loss) on the
    prompt, the token IDs on the assistant reply.

    The prompt is the conversation up to ``<|im_start|>assistant\\n`` (``add_generation_prompt``),
    exactly what the server sends the model for a request; the reply follows it.
    """
    user = [{"role": "user", "content": question}]
    prompt = tokenizer.apply_chat_template(user, add_generation_prompt=True, tokenize=True)
    full = tokenizer.apply_chat_template(user + [{"role": "assistant", "content": reply}], tokenize=True)
    # transformers 5 returns a BatchEncoding for tokenize=True; 4.x returned a list.
    prompt, full = (list(x["input_ids"]) if hasattr(x, "keys") else list(x) for x in (prompt, full))
    if full[:len(prompt)] != prompt:
        raise WorkshopError("the chat template renders the prompt differently inside the whole "
                            "conversation.\n  fix: use the model folder made by "
                            "python scripts/prepare_model.py")
    # The template ends each turn with "<|im_end|>\n"; the model stops at <|im_end|>, so the
    # newline after it is not part of the reply to learn.
    end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    last = len(full) - 1 - full[::-1].index(end)
    full = full[:last + 1]
    return full, [-100] * len(prompt) + full[len(prompt):]


def batches(examples: list[tuple[list[int], list[int]]], steps: int, pad: int):
    """``steps`` padded batches of :data:`BATCH` examples, reshuffled each epoch (fixed seed)."""
    import torch

    rng = random.Random(SEED)
    order: list[int] = []
    for _ in range(steps):
        if len(order) < BATCH:
            more = list(range(len(examples)))
            rng.shuffle(more)
            order += more
        picked, order = [examples[i] for i in order[:BATCH]], order[BATCH:]
        width = max(len(ids) for ids, _ in picked)
        ids = torch.full((BATCH, width), pad)
        labels = torch.full((BATCH, width), -100)
        mask = torch.zeros((BATCH, width), dtype=torch.long)
        for row, (x, y) in enumerate(picked):
            ids[row, :len(x)] = torch.tensor(x)
            labels[row, :len(y)] = torch.tensor(y)
            mask[row, :len(x)] = 1
        yield ids, mask, labels


def threads() -> int:
    """PyTorch threads for training: all cores when the machine is idle, else 1 (see above)."""
    cores = os.cpu_count() or 1
    return cores if workshop.busy_cores() <= cores / 2 else 1


def main(argv: list[str] | None = None) -> int:
    ap = workshop.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--name", type=folder_name, default=None,
                    help="the adapter's folder under .workshop/adapters/ and its served name "
                         "(default: acme-tone for --style house, acme-terse for --style terse)")
    ap.add_argument("--profile", choices=sorted(PROFILES), default="full",
                    help=f"training steps: {', '.join(f'{k} {v}' for k, v in PROFILES.items())} (default full)")
    ap.add_argument("--style", choices=["house", "terse"], default="house",
                    help="house: 'Hi there,' ... '— ACME Support' (default); terse: one line ending [ACME]")
    args = ap.parse_args(argv)
    name = args.name or {"house": "acme-tone", "terse": "acme-terse"}[args.style]

    if not (MODEL_DIR / "config.json").is_file():
        raise WorkshopError(f"the model folder {MODEL_DIR} is missing or incomplete.\n"
                            "  fix: python scripts/prepare_model.py")
    try:
        import peft
        import torch
        import transformers
    except ImportError as exc:
        raise WorkshopError(f"{exc.name} is not installed in this Python ({sys.executable}).\n"
                            "  fix: source .venv/bin/activate && pip install peft==0.21.2") from exc

    t0 = time.monotonic()
    torch.set_num_threads(threads())
    torch.manual_seed(SEED)
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()   # "Loading weights" bars: not a result
    tokenizer = transformers.AutoTokenizer.from_pretrained(MODEL_DIR)
    model = transformers.AutoModelForCausalLM.from_pretrained(MODEL_DIR, dtype=torch.float32)
    # --8<-- [start:lora]
    config = peft.LoraConfig(r=RANK, lora_alpha=ALPHA, target_modules=TARGETS, lora_dropout=0.0,
                             task_type="CAUSAL_LM")
    model = peft.get_peft_model(model, config)   # the base weights stay frozen
    # --8<-- [end:lora]
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())

    data = house_style.training_set() if args.style == "house" else house_style.terse_training_set()
    examples = [encode(tokenizer, e["question"], e["reply"]) for e in data]
    steps = PROFILES[args.profile]
    print(f"adapter {name}: LoRA r={RANK} alpha={ALPHA} on {', '.join(TARGETS)}; "
          f"{trainable / 1e6:.2f} M trainable of {total / 1e6:.1f} M parameters")
    print(f"training on {len(examples)} examples, {steps} steps of {BATCH} ({args.profile} profile), "
          f"{torch.get_num_threads()} thread(s)")

    # --8<-- [start:loop]
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=LEARNING_RATE)
    model.train()
    every = max(1, steps // 10)
    recent: list[float] = []
    for step, (ids, mask, labels) in enumerate(batches(examples, steps, tokenizer.pad_token_id or 0), 1):
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        recent = (recent + [loss.item()])[-every:]
        if step % every == 0 or step == steps:
            print(f"step {step:3d}/{steps}  loss {sum(recent) / len(recent):.3f}  "
                  f"({time.monotonic() - t0:.0f} s)", flush=True)

    out = ADAPTERS / name
    model.save_pretrained(out)   # adapter_config.json + adapter_model.safetensors: what vLLM loads
    # --8<-- [end:loop]
    files = ", ".join(sorted(p.name for p in out.iterdir() if p.is_file()))
    print(f"saved {out.relative_to(ROOT)}/ ({files}) in {time.monotonic() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    run(main)
