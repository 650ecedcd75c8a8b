"""Module 1 lab: ``python -m vllm.entrypoints.openai.api_server --model M`` is ``vllm serve M``.

Run: ``python labs/module1/entrypoints.py``  (no server needed; importing vLLM's argument
parsers took 17 s on the workshop's 2-core machine and 29 s while other tests ran there; a line
says so while it waits)

Older guides start the server with ``python -m vllm.entrypoints.openai.api_server --model M``.
That module still exists in vLLM 0.32 (with a deprecation warning): its ``main()``
(``vllm/entrypoints/launchers/api_server/entry.py``) builds its options with ``make_arg_parser``
and runs ``run_server``, the same two functions behind ``vllm serve`` (``vllm/entrypoints/cli/
serve.py``), which takes the model as its first argument instead of ``--model``. The lab builds
both argument parsers as the two commands do, parses the same command line with each, and
compares every option; then checks that both run the same ``run_server``. Nothing is started.
Prints one line per check; exits 1 if the two commands differ.
(``python -m vllm.entrypoints.api_server``, without ``openai``, was a different, older demo
server: it is gone, see the API guide's mistakes lab.)
"""
import logging
import os
import warnings

os.environ.setdefault("VLLM_LOGGING_LEVEL", "ERROR")
logging.getLogger("vllm").setLevel(logging.ERROR)
warnings.simplefilter("ignore", DeprecationWarning)

import workshop  # noqa: E402

MODEL = "Qwen/Qwen3-8B"
FLAGS = ["--dtype", "float32", "--max-model-len", "4096"]


def main() -> int:
    try:
        # vLLM's CLI modules take 10 to 30 s to import on two cores: say so instead of a silence.
        with workshop.waiting("importing vLLM's argument parsers"):
            import vllm.entrypoints.cli.serve  # noqa: F401
            import vllm.entrypoints.launchers.api_server.entry  # noqa: F401
    except ImportError as exc:
        raise workshop.WorkshopError(
            f"this lab reads the installed vLLM, and this environment has none ({exc}).\n  fix: run "
            "it where vLLM is installed (the CPU or GPU set-up of 'Before you begin')") from exc
    # --8<-- [start:compare]
    from vllm.entrypoints.cli import serve
    from vllm.entrypoints.launchers.api_server import entry
    from vllm.entrypoints.launchers.cli_args import make_arg_parser
    from vllm.utils.argparse_utils import FlexibleArgumentParser

    # python -m vllm.entrypoints.openai.api_server --model M ...  (entry.main)
    old = make_arg_parser(FlexibleArgumentParser()).parse_args(["--model", MODEL, *FLAGS])
    # vllm serve M ...  (the CLI: a "serve" subcommand, the model as its first argument)
    cli = FlexibleArgumentParser(prog="vllm")
    serve.ServeSubcommand().subparser_init(cli.add_subparsers(dest="subparser"))
    new = cli.parse_args(["serve", MODEL, *FLAGS])
    new.model = new.model_tag  # what ServeSubcommand.cmd does first

    options = sorted(set(vars(old)) - {"model_tag"})  # the positional --model came from
    differ = [name for name in options if getattr(new, name, None) != getattr(old, name)]
    print(f"python -m vllm.entrypoints.openai.api_server --model {MODEL} {' '.join(FLAGS)}")
    print(f"vllm serve {MODEL} {' '.join(FLAGS)}")
    print(f"options compared: {len(options)}, different: {len(differ)} {differ or ''}".rstrip())
    print("model:", old.model, "|", new.model)
    print("both run the same run_server:", entry.run_server is serve.run_server)
    # --8<-- [end:compare]
    if differ:
        raise workshop.WorkshopError(
            f"the two entry points parse {len(differ)} option(s) differently: {', '.join(differ)}; "
            "the page describes a vLLM where they agree.\n  fix: compare your vLLM's version "
            "(python -c 'import vllm; print(vllm.__version__)') with the one the page was checked with")
    return 0


if __name__ == "__main__":
    workshop.no_options(settings=None)  # it reads no setting: the fix names none
    workshop.run(main)
