"""How much memory does a workshop server use? Sum its whole process group, from ``/proc``.

Run from the repository root, with the names the servers were started with::

    python labs/module6/memory.py                   # the workshop's server (name: server)
    python labs/module6/memory.py server adapters   # side by side, and what a server per variant costs

A vLLM server is several processes (the API server, the engine core, a worker, helpers), all in
the process group whose leader's ID is in ``.workshop/run/NAME.pid``. For each process of the
group this reads ``/proc/PID/stat`` (field 5: the process group) and ``/proc/PID/status``
(``VmRSS``, kB) and ``/proc/PID/smaps_rollup`` (``Pss``, kB) and prints both totals in MiB:

- RSS counts every page a process has in RAM, so pages the processes share (the libraries torch
  maps in each of them) count once per process: the sum overstates the machine's cost;
- PSS divides each shared page among the processes that share it: the sum is what the group
  costs the machine (Linux only; ``smaps_rollup`` exists since Linux 4.14).

With two or more servers it also prints how much more each of the others uses than the first
(PSS), and what serving each of its adapters from a server of its own would cost instead: one
more first server per adapter. The adapters are the ``NAME=PATH`` words after ``--lora-modules``
on the server's command line (``/proc/PGID/cmdline``). A difference under 150 MiB is within what
two starts of the same server differ by here (measured: 5162 and 5167 MiB RSS), and is reported
as such.

Errors (one ``error:`` line and its ``fix:``, exit status 1): no running server of that name.
"""
from __future__ import annotations

import re
from pathlib import Path

import workshop_server as ws
import workshop
from workshop import WorkshopError, run

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


def adapters_of(pgid: int, proc: Path = PROC) -> list[str]:
    """The adapter names after ``--lora-modules`` on the command line of the group's leader."""
    try:
        argv = (proc / str(pgid) / "cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []
    names, taking = [], False
    for word in argv:
        if word == "--lora-modules":
            taking = True
        elif taking and "=" in word and not word.startswith("-"):
            names.append(word.split("=", 1)[0])
        else:
            taking = False
    return names


def main() -> int:
    ap = workshop.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", default=["server"],
                    help="servers' names (their PID files are .workshop/run/NAME.pid; default: server)")
    args = ap.parse_args()
    rows = []
    for name in args.names:
        pgid = ws.named(name).pid()
        if pgid is None:
            running = ", ".join(ws.running_names()) or "none"
            raise WorkshopError(f"no running server named {name!r} (running: {running}).\n"
                                f"  fix: python scripts/server.py start --name {name} ... "
                                "or name a running server")
        rows.append((name, group_memory(pgid), adapters_of(pgid)))
    print(f"{'server':<12}{'processes':>10}{'RSS MiB':>10}{'PSS MiB':>10}  adapters")
    for name, m, adapters in rows:
        print(f"{name:<12}{m['processes']:>10}{m['rss_mib']:>10.0f}{m['pss_mib']:>10.0f}  "
              f"{', '.join(adapters) or '-'}")
    first, base, _ = rows[0]
    for name, m, adapters in rows[1:]:
        more = m["pss_mib"] - base["pss_mib"]
        verdict = (f"{more:+.0f} MiB: within the noise of two starts (under {NOISE_MIB} MiB)"
                   if abs(more) < NOISE_MIB else f"{more:+.0f} MiB")
        print(f"{name} against {first}: {verdict}")
        if adapters:
            print(f"  a server of its own per adapter instead: {len(adapters)} x {base['pss_mib']:.0f} = "
                  f"{len(adapters) * base['pss_mib']:.0f} MiB more")
    return 0


if __name__ == "__main__":
    run(main)
