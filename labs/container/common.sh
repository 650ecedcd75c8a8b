# Shared helper of the container labs (base.sh, build.sh, run.sh, service.sh); source it from the
# repository root: `source labs/container/common.sh`. Needs bash and podman (or docker).
#
# Sets:
#   ENGINE      the container command: $CONTAINER_ENGINE, else podman, else docker
#   IMAGE_REPO  localhost/vllm-workshop-cpu (build.sh tags :<input hash> and :latest)
#   IMAGE       the image to run: $WORKSHOP_IMAGE, default $IMAGE_REPO:latest
#   LOCAL_BASE  localhost/workshop-base:bookworm, the base image base.sh makes without a registry
#   STATE       .workshop/container (build logs, build context, the sandbox's containers.conf)
# Functions:
#   ct_error MESSAGE FIX    prints `error: MESSAGE` and `  fix: FIX` on stderr, exits 1
#   ct_need_engine          ct_error unless $ENGINE runs
#   ct_help "$@"            -h/--help as the first argument: print the script's header comment, exit 0
#   ct_no_options "$@"      for a script that takes no arguments: -h/--help prints its header
#                           comment (ct_help), anything else is one error/fix and exit status 2
#   ct_sandbox_conf         see below; called on sourcing
#
# The sandbox quirk (ct_sandbox_conf). Rootful Podman gives each container a file-descriptor limit
# of 1048576 (`podman run --help`: --ulimit; containers.conf(5): default_ulimits), which the OCI
# runtime sets with setrlimit. Root without CAP_SYS_RESOURCE (a sandbox, a CI runner) may not
# raise its hard limit, so every `podman run` and every RUN of a build fails with
# `setrlimit RLIMIT_NOFILE: Operation not permitted`; crun also refuses cgroups v1+v2 "hybrid"
# mode. Both are detected here, never assumed: only when this process is root AND cannot raise
# its hard limit to 1048576, or the cgroup tree is hybrid, a containers.conf with the current hard
# limits (nproc at most 32768) (and runtime = "runc" for hybrid) is written to $STATE/containers.conf and exported as
# CONTAINERS_CONF. A CONTAINERS_CONF you set yourself is left alone. On a usual Linux or a
# Podman machine (Mac, Windows) nothing is written.
ROOT="${ROOT:-$(pwd)}"
ENGINE="${CONTAINER_ENGINE:-$(command -v podman >/dev/null 2>&1 && echo podman || echo docker)}"
IMAGE_REPO=localhost/vllm-workshop-cpu
IMAGE="${WORKSHOP_IMAGE:-$IMAGE_REPO:latest}"
LOCAL_BASE=localhost/workshop-base:bookworm
STATE="$ROOT/.workshop/container"

ct_error() {
  printf 'error: %s\n  fix: %s\n' "$1" "$2" >&2
  exit 1
}

ct_help() {
  case "${1:-}" in
    -h|--help) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0 ;;
  esac
}

ct_no_options() {
  [ $# -eq 0 ] && return 0
  ct_help "$@"
  printf 'error: bash %s takes no arguments, not: %s\n  fix: bash %s  (settings are environment variables: --help lists them)\n' "$0" "$*" "$0" >&2
  exit 2
}

ct_need_engine() {
  command -v "$ENGINE" >/dev/null 2>&1 ||
    ct_error "$ENGINE is not installed" "install Podman: sudo apt-get install -y podman (Debian/Ubuntu; or bash scripts/install_podman.sh), sudo dnf install -y podman (Fedora); Mac/Windows: https://podman.io/docs/installation"
}

ct_sandbox_conf() {
  [ "$ENGINE" = podman ] && [ -z "${CONTAINERS_CONF:-}" ] || return 0
  local ulimits="" runtime="" hard_n hard_u
  if [ "$(id -u)" = 0 ] && ! (ulimit -Hn 1048576) 2>/dev/null; then
    hard_n="$(ulimit -Hn)"; hard_u="$(ulimit -Hu)"
    # nproc: 32768 at most; higher values, even below `ulimit -Hu`, were refused here too.
    { [ "$hard_u" = unlimited ] || [ "$hard_u" -gt 32768 ]; } && hard_u=32768
    ulimits="default_ulimits = [\"nofile=$hard_n:$hard_n\", \"nproc=$hard_u:$hard_u\"]"
  fi
  if [ -d /sys/fs/cgroup/unified ] && [ "$(stat -fc %T /sys/fs/cgroup)" = tmpfs ] && command -v runc >/dev/null 2>&1; then
    runtime='runtime = "runc"'
  fi
  [ -n "$ulimits$runtime" ] || return 0
  mkdir -p "$STATE"
  printf '# Written by labs/container/common.sh for this machine (see its header).\n[containers]\n%s\n[engine]\n%s\n' \
    "$ulimits" "$runtime" > "$STATE/containers.conf"
  export CONTAINERS_CONF="$STATE/containers.conf"
}

ct_sandbox_conf
