#!/usr/bin/env bash
# The workshop's CPU server profile: vLLM's OpenAI-compatible server with the bundled model.
#
# This one file is the profile that `./scripts/start`, the test suite and Module 1 use, so
# what the pages show is what CI runs. Run it from the repository root:
#
#     bash labs/serve/serve_cpu.sh                     # foreground, Ctrl+C stops it
#     bash labs/serve/serve_cpu.sh --api-key KEY       # extra vLLM flags are passed through
#     VLLM_PORT=$(python3 scripts/server.py free-port) bash labs/serve/serve_cpu.sh   # a free port
#
# Environment (all optional):
#   WORKSHOP_MODEL_DIR   the model folder (default: .workshop/models/SmolLM2-135M-Instruct,
#                        made by `python scripts/prepare_model.py`)
#   VLLM_HOST, VLLM_PORT where to listen (default 127.0.0.1:8000)
#   VLLM_CPU_KVCACHE_SPACE  GiB of RAM for the KV cache (default 2; vLLM wants most of the
#                        free RAM otherwise)
#   VLLM_CPU_OMP_THREADS_BIND, VLLM_CPU_NUM_OF_RESERVED_CPU  which cores run inference (default:
#                        all of them; vLLM's own default keeps one core for the API process)
#   WORKSHOP_TOOL_CALLING  off: the profile without its four tool-calling flags (the test suite's
#                        server for "tool calling not enabled")
set -euo pipefail

model_dir="${WORKSHOP_MODEL_DIR:-.workshop/models/SmolLM2-135M-Instruct}"
export VLLM_CPU_KVCACHE_SPACE="${VLLM_CPU_KVCACHE_SPACE:-2}"
export VLLM_CPU_OMP_THREADS_BIND="${VLLM_CPU_OMP_THREADS_BIND:-0-$(( $(nproc) - 1 ))}"
export VLLM_CPU_NUM_OF_RESERVED_CPU="${VLLM_CPU_NUM_OF_RESERVED_CPU:-0}"

# --dtype float32: on these CPUs bfloat16 produced wrong text with this model.
# --enforce-eager: skips torch.compile; start-up drops from about 105 s to 25 s.
# --enable-auto-tool-choice, --chat-template, --tool-parser-plugin, --tool-call-parser: tool
#   calling (Module 3). SmolLM2 writes <tool_call>[{"name": ..., "arguments": {...}}]</tool_call>;
#   the template asks for that format, and the workshop's parser plugin reads it and constrains
#   it to the request's tools and schemas.
tools=(--enable-auto-tool-choice
       --chat-template labs/serve/smollm2_tools.jinja
       --tool-parser-plugin labs/serve/smollm2_tool_parser.py
       --tool-call-parser smollm2)
[ "${WORKSHOP_TOOL_CALLING:-on}" != off ] || tools=()
exec vllm serve "$model_dir" \
  --served-model-name SmolLM2-135M-Instruct \
  --dtype float32 \
  --enforce-eager \
  --max-model-len 8192 \
  "${tools[@]}" \
  --host "${VLLM_HOST:-127.0.0.1}" \
  --port "${VLLM_PORT:-8000}" \
  "$@"
