"""What does a server with adapters cost? Memory and tokens/s of workshop servers, side by side.

Run from the repository root, with the names the servers were started with::

    python labs/module6/cost.py                   # the workshop's server (name: server)
    python labs/module6/cost.py server adapters   # side by side, and what a server per variant costs

**Memory.** A vLLM server is several processes (the API server, the engine core, a worker,
helpers), all in the process group whose leader's ID is in ``.workshop/run/NAME.pid``. For each
process of the group this reads ``/proc/PID/stat`` (field 5: the process group) and
``/proc/PID/status`` (``VmRSS``, kB) and ``/proc/PID/smaps_rollup`` (``Pss``, kB) and prints
both totals in MiB:

- RSS counts every page a process has in RAM, so pages the processes share (the libraries torch
  maps in each of them) count once per process: the sum overstates the machine's cost;
- PSS divides each shared page among the processes that share it: the sum is what the group
  costs the machine (Linux only; ``smaps_rollup`` exists since Linux 4.14).

**Speed.** The same load on each server, one server at a time: ``--requests`` chat requests
(16) at once for the base model, ``--max-tokens`` (16; the recorded run: 32) output tokens each (``ignore_eos``, greedy),
after one warm-up request; on a server with adapters the same load again spread over its
adapters. Output tokens per second of the whole batch (wall clock). Every measurement runs
``--rounds`` times (2), the servers taking turns, and the table shows the mean; the spread
between one server's rounds is the noise, and a difference between servers smaller than it is
reported as within the noise. Each server's URL and key come from its own command line
(``--host``, ``--port``, ``--api-key`` in ``/proc/PID/cmdline``), so the servers of
``scripts/server.py`` need no more options.

With two or more servers it also prints how much more each of the others uses than the first
(PSS) and how its tokens/s compare, and what serving each of its adapters from a server of its
own would cost instead: one more first server per adapter. The adapters are the ``NAME=PATH``
words after ``--lora-modules`` on the server's command line. A memory difference under 150 MiB
is within what two starts of the same server differ by here (measured: 5162 and 5167 MiB RSS),
and is reported as such.

Errors (one ``error:`` line and its ``fix:``, exit status 1): no running server of that name, a
server that does not answer.
"""
from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import openai

import workshop_server as ws
import workshop
from workshop import WorkshopError, run

import house_style

PROC = Path("/proc")


group_members = ws.group_members   # labs/workshop_server.py: the live processes of a group


def _kib(path: Path, field: str) -> int:
    """The ``field:  N kB`` value in ``path`` (0 when the file or field is missing)."""
    try:
        match = re.search(rf"^{field}:\s+(\d+) kB", path.read_text(), re.MULTILINE)
    except OSError:
        return 0
    return int(match.group(1)) if match else 0


def group_memory(pgid: int, proc: Path = PROC) -> dict[str, float]:
    """``{"processes": n, "rss_mib": ..., "pss_mib": ...}`` summed over the group ``pgid``."""
    pids = group_members(pgid, proc)
    rss = sum(_kib(proc / str(p) / "status", "VmRSS") for p in pids)
    pss = sum(_kib(proc / str(p) / "smaps_rollup", "Pss") for p in pids)
    return {"processes": len(pids), "rss_mib": rss / 1024, "pss_mib": pss / 1024}


#: Below this many MiB, two servers' PSS do not differ by more than two starts of one server.
NOISE_MIB = 150


def command_line(pgid: int, proc: Path = PROC) -> list[str]:
    """The argument list of the group's leader (``vllm serve ...`` once ``serve_cpu.sh`` has
    exec'd it); ``[]`` when the process is gone."""
    try:
        return (proc / str(pgid) / "cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def adapters_of(pgid: int, proc: Path = PROC) -> list[str]:
    """The adapter names after ``--lora-modules`` on the command line of the group's leader."""
    names, taking = [], False
    for word in command_line(pgid, proc):
        if word == "--lora-modules":
            taking = True
        elif taking and "=" in word and not word.startswith("-"):
            names.append(word.split("=", 1)[0])
        else:
            taking = False
    return names


def endpoint_of(pgid: int, proc: Path = PROC) -> tuple[str, str, str]:
    """``(base URL, API key, base model)`` from the leader's command line: ``--host``,
    ``--port``, ``--api-key``, and ``--served-model-name`` or else the model after ``serve``
    (vLLM's defaults when absent: all interfaces, port 8000, no key, i.e. ``EMPTY``)."""
    argv = command_line(pgid, proc)
    value = {a: b for a, b in zip(argv, argv[1:])
             if a in ("--host", "--port", "--api-key", "--served-model-name", "serve")}
    host = value.get("--host", "127.0.0.1")
    host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    model = value.get("--served-model-name") or value.get("serve", "")
    return f"http://{host}:{value.get('--port', '8000')}/v1", value.get("--api-key", "EMPTY"), model


async def tokens_per_s(base_url: str, key: str, models: list[str], requests: int,
                       max_tokens: int) -> float:
    """Output tokens/s of ``requests`` chat requests sent at once (wall clock, after one warm-up
    request), spread round-robin over ``models``; each asks one held-out question of
    ``house_style`` and generates exactly ``max_tokens`` tokens (``ignore_eos``, greedy)."""
    client = openai.AsyncOpenAI(base_url=base_url, api_key=key, max_retries=0, timeout=300.0)
    questions = house_style.held_out()

    async def one(i: int) -> int:
        r = await client.chat.completions.create(
            model=models[i % len(models)], temperature=0, max_tokens=max_tokens,
            messages=[{"role": "user", "content": questions[i % len(questions)]}],
            extra_body={"ignore_eos": True})
        return r.usage.completion_tokens

    try:
        await one(0)
        start = time.perf_counter()
        tokens = sum(await asyncio.gather(*(one(i) for i in range(requests))))
        return tokens / (time.perf_counter() - start)
    finally:
        await client.close()


def speed_verdict(mine: list[float], theirs: list[float]) -> str:
    """How one server's tokens/s rounds (``mine``) compare with the first's: the relative difference of the
    means, "within the noise" when it is smaller than the larger spread of one server's rounds
    (max - min over the mean)."""
    m, t = sum(mine) / len(mine), sum(theirs) / len(theirs)
    noise = max((max(x) - min(x)) / (sum(x) / len(x)) for x in (mine, theirs))
    diff = (m - t) / t
    text = f"{diff:+.0%} tokens/s for the base model"
    if abs(diff) <= noise:
        return f"{text}: within the noise (its rounds differ by up to {noise:.0%})"
    return text


def main() -> int:
    ap = workshop.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", default=["server"],
                    help="servers' names (their PID files are .workshop/run/NAME.pid; default: server)")
    ap.add_argument("--requests", type=int, default=16, help="requests at once per measurement (16)")
    ap.add_argument("--max-tokens", type=int, default=16, help="output tokens per request (16)")
    ap.add_argument("--rounds", type=int, default=2, help="measurements per server and model set (2)")
    args = ap.parse_args()
    if min(args.requests, args.max_tokens, args.rounds) < 1:
        raise WorkshopError("--requests, --max-tokens and --rounds must be 1 or more.\n"
                            "  fix: leave them out for 16, 16 and 2")
    servers = []
    for name in args.names:
        pgid = ws.named(name).pid()
        if pgid is None:
            running = ", ".join(ws.running_names()) or "none"
            raise WorkshopError(f"no running server named {name!r} (running: {running}).\n"
                                f"  fix: python scripts/server.py start --name {name} ... "
                                "or name a running server")
        url, key, base = endpoint_of(pgid)
        servers.append({"name": name, "pgid": pgid, "url": url, "key": key, "base": base,
                        "adapters": adapters_of(pgid), "base_tps": [], "adapter_tps": []})
    with workshop.waiting(f"measuring tokens/s: {args.rounds} round(s) of {args.requests} requests x "
                          f"{args.max_tokens} tokens per server"):
        for _ in range(args.rounds):
            for s in servers:            # the servers take turns: a slow minute hits them alike
                for models, out in (([s["base"]], s["base_tps"]), (s["adapters"], s["adapter_tps"])):
                    if not models:
                        continue
                    try:
                        out.append(asyncio.run(tokens_per_s(s["url"], s["key"], models,
                                                            args.requests, args.max_tokens)))
                    except openai.APIError as exc:
                        raise WorkshopError(
                            f"server {s['name']!r} at {s['url']} failed the load ({exc}).\n"
                            f"  fix: python scripts/server.py status; its log is "
                            f".workshop/run/{s['name']}.log") from None
    for s in servers:
        s["memory"] = group_memory(s["pgid"])     # after the load: the KV cache and buffers in use

    def mean(xs: list[float]) -> str:
        return f"{sum(xs) / len(xs):.1f}" if xs else "-"
    w = max(12, 2 + max(len(s["name"]) for s in servers))   # the names' column
    print(f"{'server':<{w}}{'processes':>10}{'RSS MiB':>10}{'PSS MiB':>10}"
          f"{'base tok/s':>12}{'adapters tok/s':>16}  adapters")
    for s in servers:
        m = s["memory"]
        print(f"{s['name']:<{w}}{m['processes']:>10}{m['rss_mib']:>10.0f}{m['pss_mib']:>10.0f}"
              f"{mean(s['base_tps']):>12}{mean(s['adapter_tps']):>16}  {', '.join(s['adapters']) or '-'}")
    print(f"(tokens/s: {args.requests} requests at once x {args.max_tokens} tokens, mean of "
          f"{args.rounds} round(s); adapters: the requests spread over the server's adapters)")
    first = servers[0]
    for s in servers[1:]:
        more = s["memory"]["pss_mib"] - first["memory"]["pss_mib"]
        verdict = (f"{more:+.0f} MiB: within the noise of two starts (under {NOISE_MIB} MiB)"
                   if abs(more) < NOISE_MIB else f"{more:+.0f} MiB")
        print(f"{s['name']} against {first['name']}: {verdict}; "
              f"{speed_verdict(s['base_tps'], first['base_tps'])}")
        if s["adapters"]:
            n, pss = len(s["adapters"]), first["memory"]["pss_mib"]
            print(f"  a server of its own per adapter instead: {n} x {pss:.0f} = {n * pss:.0f} MiB more")
    return 0


if __name__ == "__main__":
    run(main)
