"""Load an adapter into a running server, use it, and unload it, without a restart.

Run from the repository root against a server started with runtime LoRA updating (docs/en/module6.md, section 3)::

    python labs/module6/runtime_lora.py                        # .workshop/adapters/acme-tone
    python labs/module6/runtime_lora.py --adapter acme-terse --as acme-terse-2   # another name

The server must run with ``VLLM_ALLOW_RUNTIME_LORA_UPDATING=True`` in its environment (vLLM then
adds two routes, ``vllm/entrypoints/serve/lora/api_router.py``) and ``--enable-lora``:

- ``POST /v1/load_lora_adapter`` with JSON ``{"lora_name": NAME, "lora_path": PATH}`` (optional
  ``"load_inplace": true`` to replace an adapter of the same name); answers 200 and the text
  ``Success: LoRA adapter 'NAME' added successfully.``
- ``POST /v1/unload_lora_adapter`` with JSON ``{"lora_name": NAME}``; 200 and ``Success: ...``.

Both live under ``/v1``, so a server started with ``--api-key`` wants the key for them too (its
authentication middleware guards every path that starts with ``/v1``). ``PATH`` is read by the
server, so this lab sends the absolute path of ``.workshop/adapters/NAME`` (server on this machine).

It prints ``/v1/models`` before, after loading and after unloading, and one reply of the loaded
adapter (temperature 0). Errors (one ``error:`` line and its ``fix:``, exit status 1): no server,
a URL without ``/v1``, a refused key, an unknown ``$VLLM_MODEL``, a server without runtime
updating (HTTP 404 on the route), an adapter folder that does not exist, an adapter whose rank is
above the server's ``--max-lora-rank``, a name already loaded.
"""
from __future__ import annotations

from pathlib import Path

import httpx

import workshop
from workshop import WorkshopError

ROOT = Path(__file__).resolve().parents[2]
ADAPTERS = ROOT / ".workshop" / "adapters"
RUNTIME_HINT = ("restart the server with runtime updating: VLLM_ALLOW_RUNTIME_LORA_UPDATING=True "
                "python scripts/server.py start --name runtime -- bash labs/serve/serve_cpu.sh "
                "--enable-lora --max-lora-rank 8 --max-loras 2  (VLLM_PORT: a free port)")


def post(path: str, body: dict) -> httpx.Response:
    """POST ``body`` to ``{base_url}{path}`` with the workshop's key."""
    return httpx.post(workshop.base_url() + path, json=body, timeout=120,
                      headers={"Authorization": f"Bearer {workshop.api_key()}"})


def explain_load_failure(status: int, text: str, name: str) -> WorkshopError:
    """The learner-facing error for a refused ``/v1/load_lora_adapter``."""
    if status == 404 and "Not Found" in text and "lora" not in text.lower():
        return WorkshopError(f"the server has no /v1/load_lora_adapter route (HTTP 404).\n"
                             f"  fix: {RUNTIME_HINT}")
    if "greater than max_lora_rank" in text:
        return WorkshopError(f"the server refused {name!r}: {text.strip()[:200]}\n  fix: restart the "
                             "server with --max-lora-rank at least the adapter's r (adapter_config.json); "
                             "allowed values: 1, 8, 16, 32, 64, 128, 256, 320, 512")
    if "No adapter found" in text:
        return WorkshopError(f"the server found no adapter at the path sent for {name!r}.\n  fix: "
                             f"python labs/module6/train_adapter.py --name {name}")
    if "already been loaded" in text:
        return WorkshopError(f"the server already serves an adapter named {name!r}.\n  fix: "
                             f"unload it first, or send \"load_inplace\": true to replace it")
    if "LoRA is not enabled" in text or "lora" in text.lower() and "enable" in text.lower():
        return WorkshopError(f"the server refused to load {name!r}: {text.strip()[:200]}\n"
                             f"  fix: {RUNTIME_HINT}")
    return WorkshopError(f"HTTP {status} loading {name!r}: {text.strip()[:300]}\n"
                         "  fix: read the server's log (.workshop/run/NAME.log)")


def show(models: list[str], when: str) -> None:
    print(f"/v1/models {when}: {', '.join(models)}")


def main() -> int:
    ap = workshop.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--adapter", default="acme-tone",
                    help="the folder under .workshop/adapters/ (default acme-tone)")
    ap.add_argument("--as", dest="served", default=None,
                    help="the name to serve it under (default: the folder's name)")
    args = ap.parse_args()
    name, path = args.served or args.adapter, ADAPTERS / args.adapter
    if not (path / "adapter_config.json").is_file():
        raise WorkshopError(f"no adapter at {path.relative_to(ROOT)}/ (adapter_config.json missing).\n"
                            f"  fix: python labs/module6/train_adapter.py --name {args.adapter}")

    client = workshop.client()
    workshop.model(client)  # checks the server, the URL, the key and $VLLM_MODEL first
    show(workshop.served_models(client), "before")

    # --8<-- [start:load]
    r = post("/load_lora_adapter", {"lora_name": name, "lora_path": str(path)})
    if r.status_code != 200:
        raise explain_load_failure(r.status_code, r.text, name)
    print(f"load:   HTTP {r.status_code} {r.text}")
    show(workshop.served_models(client), "after loading")

    reply = client.chat.completions.create(
        model=name, messages=[{"role": "user", "content": "Do you ship the Hand Trowel to Canada?"}],
        temperature=0, max_tokens=120)
    print(f"{name} answers:\n{reply.choices[0].message.content.strip()}")

    r = post("/unload_lora_adapter", {"lora_name": name})
    if r.status_code != 200:
        raise WorkshopError(f"HTTP {r.status_code} unloading {name!r}: {r.text.strip()[:300]}\n"
                            "  fix: read the server's log (.workshop/run/NAME.log)")
    print(f"unload: HTTP {r.status_code} {r.text}")
    # --8<-- [end:load]
    show(workshop.served_models(client), "after unloading")
    return 0


if __name__ == "__main__":
    workshop.run(main)
