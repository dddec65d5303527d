# shellcheck shell=bash
# shellcheck disable=SC2034  # variables used by the scripts that source this
# shellcheck source-path=SCRIPTDIR
# Shared by install.sh and stack.sh (sourced, never run). Resolves the repo
# root from this file's own location so the scripts work from any cwd, loads
# versions.env, and defines the paths and small helpers both scripts use.

LOCAL_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd "$LOCAL_DIR/../.." && pwd -P)"

# shellcheck source=versions.env
source "$LOCAL_DIR/versions.env"

# Downloads and build outputs (git-ignored; safe to delete for a cold start).
CACHE_DIR="$REPO_ROOT/.cache"
BIN_DIR="$CACHE_DIR/bin"
OPENSEARCH_CACHE="$CACHE_DIR/opensearch"
# Runtime state: data, logs, pid files (git-ignored).
VAR_DIR="$REPO_ROOT/.var"
RUN_DIR="$VAR_DIR/run"
LOG_DIR="$VAR_DIR/log"
VENV_DIR="$REPO_ROOT/.venv"

PRISM_BIN="$BIN_DIR/prism"
OPENSEARCH_LIB="$OPENSEARCH_CACHE/lib"
OPENSEARCH_CLASSES="$OPENSEARCH_CACHE/classes"
OPENSEARCH_MAIN_CLASS=NewsmonOpenSearch
# The local Flink session cluster's jars (install.sh flink) and its runtime
# home: config, checkpoints, savepoints, blobs, scratch (stack.sh up flink).
FLINK_CLUSTER_LIB="$CACHE_DIR/flink-cluster/lib"
FLINK_HOME_DIR="$VAR_DIR/flink"

say() { printf '[newsmon-local] %s\n' "$*"; }
warn() { printf '[newsmon-local] WARNING: %s\n' "$*" >&2; }
err() { printf '[newsmon-local] ERROR: %s\n' "$*" >&2; }
die() {
    err "$@"
    exit 1
}

# require_cmd reports and returns 1 (the caller decides); need_cmd exits.
require_cmd() {
    command -v "$1" >/dev/null 2>&1 && return 0
    err "'$1' not found on PATH: $2"
    return 1
}
need_cmd() { require_cmd "$@" || exit 1; }

# Major version of a java binary ("17", "21", ...), empty if it will not run.
# (Output captured before parsing: under pipefail, a reader that stops early
# would make the pipeline, and so `set -e`, fail.)
java_major() {
    local props
    props="$("$1" -XshowSettings:properties -version 2>&1)" || return 0
    awk -F'= ' '/java.specification.version/ {print $2}' <<<"$props" | head -n 1
}

# OpenSearch 2.19 supports Java 17 and 21; newer JDKs drop APIs it still uses
# (Security Manager, COMPAT locales). Prefer an explicit OPENSEARCH_JAVA_HOME,
# then JAVA_HOME, then the `java` on PATH; take the first that fits.
# Sets JAVA_BIN and JAVAC_BIN; reports and returns 1 when there is none.
find_java() {
    local candidates=() c major
    [[ -n "${OPENSEARCH_JAVA_HOME:-}" ]] && candidates+=("$OPENSEARCH_JAVA_HOME/bin/java")
    [[ -n "${JAVA_HOME:-}" ]] && candidates+=("$JAVA_HOME/bin/java")
    command -v java >/dev/null 2>&1 && candidates+=("$(readlink -f "$(command -v java)")")
    for c in "${candidates[@]}"; do
        [[ -x "$c" ]] || continue
        major="$(java_major "$c")"
        if [[ "$major" =~ ^(17|18|19|20|21)$ ]]; then
            JAVA_BIN="$c"
            JAVAC_BIN="$(dirname "$c")/javac"
            return 0
        fi
    done
    err "no Java 17-21 found for OpenSearch (tried: ${candidates[*]:-none}); install openjdk-17-jdk or set OPENSEARCH_JAVA_HOME"
    return 1
}
