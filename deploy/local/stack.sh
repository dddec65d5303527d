#!/usr/bin/env bash
# Starts and stops the local (no-Docker) stack as plain processes on 127.0.0.1.
#
#   deploy/local/stack.sh up     [SERVICE...]   start, wait until ready
#   deploy/local/stack.sh down   [SERVICE...]   stop what up started
#   deploy/local/stack.sh status [SERVICE...]
#
# SERVICE: opensearch prometheus alertmanager feeds (default: all of them),
# or the Flink session cluster, started only when named: flink-jobmanager
# flink-taskmanager, or `flink` for both (newsmon run --runner FlinkRunner).
# Run deploy/local/install.sh first. Ports come from versions.env and can be
# overridden from the environment (OPENSEARCH_PORT=9201 ...).
#
# `up` is idempotent: a service already running and healthy is left alone.
# Each service's PID is in .var/run/<service>.pid, its output in
# .var/log/<service>.log, its data under .var/<service>/. `down` signals only
# the PIDs recorded there, and only if the process is still the one we started.
# After `up`, .var/stack.env holds the exports tests and the CLI read:
#   source .var/stack.env
set -euo pipefail
# shellcheck source-path=SCRIPTDIR

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ALL_SERVICES=(opensearch prometheus alertmanager feeds)
# Started only when named (`up flink`): two JVMs, ~2.3 GB.
FLINK_SERVICES=(flink-jobmanager flink-taskmanager)
STACK_ENV="$VAR_DIR/stack.env"
NEWSMON_FEEDS_ROOT="${NEWSMON_FEEDS_ROOT:-$LOCAL_DIR/demo-feeds}"
# Seconds to wait for SIGTERM to end a service before SIGKILL.
STOP_TIMEOUT="${STOP_TIMEOUT:-30}"
# Services this invocation started (only those are stopped when not ready).
STARTED_NOW=" "

usage() {
    sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

# ------------------------------------------------------------ helpers ------

pidfile() { echo "$RUN_DIR/$1.pid"; }
logfile() { echo "$LOG_DIR/$1.log"; }

# Local HTTP probe; --noproxy so a proxy in the environment is never used for
# loopback.
http_ok() {
    curl --noproxy '*' -fsS --max-time "${2:-3}" -o /dev/null "$1" 2>/dev/null
}
http_get() {
    curl --noproxy '*' -fsS --max-time "${2:-3}" "$1" 2>/dev/null
}

port_of() {
    case "$1" in
    opensearch) echo "$OPENSEARCH_PORT" ;;
    prometheus) echo "$PROMETHEUS_PORT" ;;
    alertmanager) echo "$ALERTMANAGER_PORT" ;;
    feeds) echo "$FEEDS_PORT" ;;
    flink-jobmanager) echo "$FLINK_REST_PORT" ;;
    flink-taskmanager) echo "$FLINK_TM_RPC_PORT" ;;
    esac
}
url_of() {
    case "$1" in
    # The TaskManager has no HTTP endpoint; it is seen through the JobManager's.
    flink-taskmanager) echo "http://127.0.0.1:$FLINK_REST_PORT/taskmanagers/$FLINK_TM_ID" ;;
    *) echo "http://127.0.0.1:$(port_of "$1")" ;;
    esac
}

# A string that only the command line of the process we started contains;
# it tells our process apart from an unrelated one that reused a stale PID.
marker_of() {
    case "$1" in
    opensearch) echo "-Dnewsmon.opensearch.home=$VAR_DIR/opensearch" ;;
    prometheus) echo "--storage.tsdb.path=$VAR_DIR/prometheus" ;;
    alertmanager) echo "--storage.path=$VAR_DIR/alertmanager" ;;
    feeds) echo "$VENV_DIR/bin/newsmon serve-feeds" ;;
    flink-jobmanager) echo "-Dnewsmon.flink.jobmanager=$FLINK_HOME_DIR" ;;
    flink-taskmanager) echo "-Dnewsmon.flink.taskmanager=$FLINK_HOME_DIR" ;;
    esac
}

# Seconds `up` waits for readiness (OpenSearch needs a JVM and a cluster
# state; the others are ready almost at once).
timeout_of() {
    case "$1" in
    opensearch) echo "${OPENSEARCH_START_TIMEOUT:-180}" ;;
    flink-*) echo "${FLINK_START_TIMEOUT:-180}" ;;
    *) echo "${START_TIMEOUT:-60}" ;;
    esac
}

# Prints the recorded PID if that process is alive and is the one we started.
running_pid() {
    local svc="$1" pid cmdline
    [[ -f "$(pidfile "$svc")" ]] || return 1
    pid="$(cat "$(pidfile "$svc")")"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    [[ -r "/proc/$pid/cmdline" ]] || return 1
    cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline")"
    [[ "$cmdline" == *"$(marker_of "$svc")"* ]] || return 1
    echo "$pid"
}

# True while PID exists and is not a zombie (an exited child that nobody has
# reaped yet still answers kill -0).
alive() {
    local state
    kill -0 "$1" 2>/dev/null || return 1
    state="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" || return 1
    [[ "$state" != Z ]]
}

# True when something accepts connections on 127.0.0.1:PORT.
port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Who holds a port, for the error message (best effort).
port_owner() {
    if command -v ss >/dev/null 2>&1; then
        ss -Hltnp "sport = :$1" 2>/dev/null | sed -E 's/.*users:\(\((.*)\)\).*/\1/' | head -n 1
    fi
}

# ----------------------------------------------------- readiness probes ----

ready_opensearch() {
    local url
    url="$(url_of opensearch)"
    # GET / answers with the expected version, then the cluster is usable
    # (yellow or green: a single node never allocates replicas).
    local root
    root="$(http_get "$url/?filter_path=version.number")" || return 1
    [[ "$root" == *"\"$OPENSEARCH_VERSION\""* ]] &&
        http_ok "$url/_cluster/health?wait_for_status=yellow&timeout=2s" 5
}
ready_prometheus() { http_ok "$(url_of prometheus)/-/ready"; }
ready_alertmanager() { http_ok "$(url_of alertmanager)/-/ready"; }
ready_feeds() { http_ok "$(url_of feeds)/healthz"; }
# The JobManager answers its REST API with the expected Flink release; the
# TaskManager is ready once it has registered there (with its slot).
ready_flink-jobmanager() {
    local overview
    overview="$(http_get "$(url_of flink-jobmanager)/overview")" || return 1
    [[ "$overview" == *"\"flink-version\":\"$FLINK_VERSION\""* ]]
}
ready_flink-taskmanager() { http_ok "$(url_of flink-taskmanager)"; }

# ------------------------------------------------- per-service commands ----
# Each prepare_<svc> checks its prerequisites, creates its directories and
# config, and sets CMD (the command line to run in the foreground). On a
# problem it reports it and returns 1, so `up` can still start the others.

prepare_opensearch() {
    local home="$VAR_DIR/opensearch"
    [[ -f "$OPENSEARCH_CLASSES/$OPENSEARCH_MAIN_CLASS.class" && -d "$OPENSEARCH_LIB" ]] ||
        { err "opensearch: not installed (run deploy/local/install.sh opensearch)"; return 1; }
    find_java || return 1
    mkdir -p "$home/tmp"
    # The JVM flags OpenSearch's own launcher would set (jvm.options and
    # SystemJvmOptions), with a fixed 1g heap for this 2-core machine.
    # shellcheck disable=SC2054  # the comma in SPI,CLDR belongs to the flag
    CMD=("$JAVA_BIN"
        "-Xms$OPENSEARCH_HEAP" "-Xmx$OPENSEARCH_HEAP"
        -XX:+UseG1GC -XX:G1ReservePercent=25 -XX:InitiatingHeapOccupancyPercent=30
        -XX:+HeapDumpOnOutOfMemoryError "-XX:HeapDumpPath=$home"
        "-XX:ErrorFile=$home/logs/hs_err_pid%p.log"
        -Xss1m -XX:-OmitStackTraceInFastThrow
        -Djava.awt.headless=true -Dfile.encoding=UTF-8 -Djna.nosys=true
        -Dio.netty.noUnsafe=true -Dio.netty.noKeySetOptimization=true
        -Dio.netty.recycler.maxCapacityPerThread=0 -Dio.netty.allocator.numDirectArenas=0
        -Dlog4j.shutdownHookEnabled=false -Dlog4j2.disable.jmx=true
        -Djava.locale.providers=SPI,CLDR
        "-Djava.io.tmpdir=$home/tmp"
        "-Dnewsmon.opensearch.home=$home"
        "-Dnewsmon.opensearch.port=$OPENSEARCH_PORT"
        -Dnewsmon.opensearch.host=127.0.0.1
        -Dnewsmon.opensearch.cluster=newsmon-local
        -cp "$OPENSEARCH_CLASSES:$OPENSEARCH_LIB/*"
        "$OPENSEARCH_MAIN_CLASS")
}

# deploy/local/prometheus.yml is a template (ports and the rules directory
# are filled in here); promtool checks the result before Prometheus starts so
# a bad config fails with promtool's message instead of a dead process.
render_prometheus_config() {
    local out="$1"
    sed -e "s|@METRICS_PORT@|$METRICS_PORT|g" \
        -e "s|@ALERTMANAGER_PORT@|$ALERTMANAGER_PORT|g" \
        -e "s|@RULES_DIR@|$REPO_ROOT/deploy/prometheus/rules|g" \
        -e "s|@DEMO_RULES@|$LOCAL_DIR/prometheus-demo-rules.yml|g" \
        "$LOCAL_DIR/prometheus.yml" >"$out"
}

prepare_prometheus() {
    local dir="$VAR_DIR/prometheus" config="$VAR_DIR/prometheus/prometheus.yml"
    require_cmd prometheus "run deploy/local/install.sh apt" || return 1
    require_cmd promtool "run deploy/local/install.sh apt" || return 1
    mkdir -p "$dir/data"
    render_prometheus_config "$config"
    if ! promtool check config "$config" >"$dir/promtool.out" 2>&1; then
        err "prometheus: invalid config $config: $(cat "$dir/promtool.out")"
        return 1
    fi
    CMD=(prometheus
        "--config.file=$config"
        "--storage.tsdb.path=$dir/data"
        --storage.tsdb.retention.time=2d
        "--web.listen-address=127.0.0.1:$PROMETHEUS_PORT"
        "--web.external-url=$(url_of prometheus)/"
        --web.enable-lifecycle)
}

prepare_alertmanager() {
    local dir="$VAR_DIR/alertmanager" config="$LOCAL_DIR/alertmanager.yml"
    require_cmd prometheus-alertmanager "run deploy/local/install.sh apt" || return 1
    require_cmd amtool "run deploy/local/install.sh apt" || return 1
    mkdir -p "$dir/data"
    if ! amtool check-config "$config" >"$dir/amtool.out" 2>&1; then
        err "alertmanager: invalid config $config: $(cat "$dir/amtool.out")"
        return 1
    fi
    # --cluster.listen-address= (empty) disables the gossip cluster, which
    # would otherwise listen on 0.0.0.0:9094.
    CMD=(prometheus-alertmanager
        "--config.file=$config"
        "--storage.path=$dir/data"
        "--web.listen-address=127.0.0.1:$ALERTMANAGER_PORT"
        "--web.external-url=$(url_of alertmanager)/"
        --cluster.listen-address=)
}

prepare_feeds() {
    if [[ ! -x "$VENV_DIR/bin/newsmon" ]]; then
        err "feeds: $VENV_DIR/bin/newsmon not found (run deploy/local/install.sh python)"
        return 1
    fi
    if [[ ! -d "$NEWSMON_FEEDS_ROOT" ]]; then
        err "feeds: feed directory $NEWSMON_FEEDS_ROOT not found (set NEWSMON_FEEDS_ROOT)"
        return 1
    fi
    CMD=("$VENV_DIR/bin/newsmon" serve-feeds
        --root "$NEWSMON_FEEDS_ROOT"
        --host 127.0.0.1 --port "$FEEDS_PORT")
}

# The Flink processes: flink-runtime's two entry points on the jars of
# install.sh flink, with the JVM flags Flink's own bin/ scripts would pass.
# Flink derives each process's heap, metaspace and direct memory from
# *.memory.process.size; BashJavaUtils (what those scripts call) prints the
# JVM options and the matching -D settings, which go on the command line.
FLINK_TM_ID=newsmon-local-taskmanager
FLINK_CONF_DIR="$FLINK_HOME_DIR/conf"
# What Flink's config.yaml sets in env.java.opts.all for Java 17.
FLINK_JAVA_OPTS=(--add-exports=java.base/sun.net.util=ALL-UNNAMED
    --add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED
    --add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED)
for _pkg in java.lang java.net java.io java.nio sun.nio.ch java.lang.reflect java.text java.time \
    java.util java.util.concurrent java.util.concurrent.atomic java.util.concurrent.locks; do
    FLINK_JAVA_OPTS+=("--add-opens=java.base/$_pkg=ALL-UNNAMED")
done
unset _pkg

render_flink_config() {
    mkdir -p "$FLINK_CONF_DIR" "$FLINK_HOME_DIR"/{checkpoints,savepoints,blobs,tmp}
    sed -e "s|@FLINK_RPC_PORT@|$FLINK_RPC_PORT|g" \
        -e "s|@FLINK_TM_RPC_PORT@|$FLINK_TM_RPC_PORT|g" \
        -e "s|@FLINK_REST_PORT@|$FLINK_REST_PORT|g" \
        -e "s|@FLINK_JM_MEMORY@|$FLINK_JM_MEMORY|g" \
        -e "s|@FLINK_TM_MEMORY@|$FLINK_TM_MEMORY|g" \
        -e "s|@FLINK_HOME@|$FLINK_HOME_DIR|g" \
        "$LOCAL_DIR/flink/config.yaml" >"$FLINK_CONF_DIR/config.yaml"
    cp "$LOCAL_DIR/flink/log4j.properties" "$FLINK_CONF_DIR/log4j.properties"
}

# Sets FLINK_JVM (JVM memory flags) and FLINK_DYNAMIC (-D key=value pairs) for
# GET_JM_RESOURCE_PARAMS or GET_TM_RESOURCE_PARAMS.
flink_resource_params() {
    local out lines=()
    out="$("$JAVA_BIN" -cp "$FLINK_CLUSTER_LIB/*" -Dlog4j2.level=ERROR \
        org.apache.flink.runtime.util.bash.BashJavaUtils "$1" --configDir "$FLINK_CONF_DIR" 2>&1)" || {
        err "flink: BashJavaUtils $1 failed: $(tail -n 5 <<<"$out")"
        return 1
    }
    mapfile -t lines < <(sed -n 's/^BASH_JAVA_UTILS_EXEC_RESULT://p' <<<"$out")
    [[ ${#lines[@]} -ge 2 ]] || { err "flink: unexpected BashJavaUtils output: $(tail -n 5 <<<"$out")"; return 1; }
    read -r -a FLINK_JVM <<<"${lines[0]}"
    read -r -a FLINK_DYNAMIC <<<"${lines[1]}"
}

prepare_flink() {
    local role="$1" main="$2" params="$3"
    [[ -f "$FLINK_CLUSTER_LIB/flink-runtime-$FLINK_VERSION.jar" ]] ||
        { err "flink-$role: not installed (run deploy/local/install.sh flink)"; return 1; }
    find_java || return 1
    render_flink_config
    local FLINK_JVM=() FLINK_DYNAMIC=()
    flink_resource_params "$params" || return 1
    # PYTHONPATH: the TaskManager starts the Python SDK workers
    # (deploy/local/flink/sdk-worker), which must import this checkout's code.
    CMD=(env "PYTHONPATH=$REPO_ROOT${PYTHONPATH:+:$PYTHONPATH}"
        "$JAVA_BIN" "${FLINK_JVM[@]}" "${FLINK_JAVA_OPTS[@]}"
        -XX:+HeapDumpOnOutOfMemoryError "-XX:HeapDumpPath=$FLINK_HOME_DIR/tmp"
        "-Djava.io.tmpdir=$FLINK_HOME_DIR/tmp"
        "-Dlog4j.configurationFile=file:$FLINK_CONF_DIR/log4j.properties"
        "-Dnewsmon.flink.$role=$FLINK_HOME_DIR"
        -cp "$FLINK_CLUSTER_LIB/*" "$main"
        --configDir "$FLINK_CONF_DIR" "${FLINK_DYNAMIC[@]}")
}

prepare_flink-jobmanager() {
    prepare_flink jobmanager org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint \
        GET_JM_RESOURCE_PARAMS
}

prepare_flink-taskmanager() {
    prepare_flink taskmanager org.apache.flink.runtime.taskexecutor.TaskManagerRunner GET_TM_RESOURCE_PARAMS
}

# ---------------------------------------------------------- lifecycle ------

# Starts one service in the background unless it already runs; returns 1
# (with the reason printed) when it cannot be started. setsid puts
# it in its own session, so a Ctrl-C in the calling terminal does not reach
# it; its PID (exec'd by setsid, so the same PID) goes to the pid file.
start_service() {
    local svc="$1" pid port log
    if pid="$(running_pid "$svc")"; then
        say "$svc: already running (pid $pid)"
        return 0
    fi
    rm -f "$(pidfile "$svc")"
    port="$(port_of "$svc")"
    if port_in_use "$port"; then
        err "$svc: port 127.0.0.1:$port is already in use by a process this script did not start ($(port_owner "$port")); stop it or set another port (see deploy/local/versions.env)"
        return 1
    fi
    local CMD=()
    "prepare_$svc" || return 1
    log="$(logfile "$svc")"
    mkdir -p "$RUN_DIR" "$LOG_DIR"
    printf '\n===== %s stack.sh: starting %s: %s\n' "$(date -Is)" "$svc" "${CMD[*]}" >>"$log"
    # 9>&-: the service must not inherit (and so hold) stack.sh's lock.
    setsid "${CMD[@]}" >>"$log" 2>&1 </dev/null 9>&- &
    pid=$!
    echo "$pid" >"$(pidfile "$svc")"
    STARTED_NOW+="$svc "
    # Until setsid has exec'd the service, the PID still shows this script's
    # command line; wait for that (briefly) so the liveness checks that follow
    # do not mistake a starting service for a dead one.
    local i
    for ((i = 0; i < 50; i++)); do
        if running_pid "$svc" >/dev/null || ! alive "$pid"; then break; fi
        sleep 0.1
    done
    say "$svc: started (pid $pid), log $log"
}

# Shows why a service failed: the last 40 lines of its log.
show_log_tail() {
    local log
    log="$(logfile "$1")"
    echo "----- last 40 lines of $log -----" >&2
    tail -n 40 "$log" >&2 || true
    echo "----- end of $log -----" >&2
}

# Waits until the service answers its readiness probe. On a timeout or an
# early exit it shows the log, stops the service if this run started it, and
# returns 1.
wait_ready() {
    local svc="$1" timeout started=$SECONDS
    timeout="$(timeout_of "$svc")"
    while true; do
        if "ready_$svc"; then
            say "$svc: ready at $(url_of "$svc") ($((SECONDS - started))s)"
            return 0
        fi
        if ! running_pid "$svc" >/dev/null; then
            warn "$svc: process exited before it was ready"
            show_log_tail "$svc"
            rm -f "$(pidfile "$svc")"
            return 1
        fi
        if ((SECONDS - started >= timeout)); then
            warn "$svc: not ready at $(url_of "$svc") after ${timeout}s"
            show_log_tail "$svc"
            if [[ "$STARTED_NOW" == *" $svc "* ]]; then
                stop_service "$svc"
            else
                # Started by an earlier `up` (maybe with other ports): leave
                # it to an explicit `down`.
                warn "$svc: left running (pid $(running_pid "$svc")); if its port changed, run: $0 down $svc"
            fi
            return 1
        fi
        sleep 0.5
    done
}

# SIGTERM to the recorded PID (only if it is still our process), SIGKILL
# after STOP_TIMEOUT seconds, then remove the pid file.
stop_service() {
    local svc="$1" pid waited=0
    if ! pid="$(running_pid "$svc")"; then
        if [[ -f "$(pidfile "$svc")" ]]; then
            say "$svc: not running (removing stale pid file)"
            rm -f "$(pidfile "$svc")"
        else
            say "$svc: not running"
        fi
        return 0
    fi
    say "$svc: stopping (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    while alive "$pid"; do
        if ((waited >= STOP_TIMEOUT * 5)); then
            warn "$svc: still running after ${STOP_TIMEOUT}s, sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.2
        waited=$((waited + 1))
    done
    # After SIGKILL, give the kernel a moment so the port is free on return.
    for ((waited = 0; waited < 50; waited++)); do
        alive "$pid" || break
        sleep 0.1
    done
    rm -f "$(pidfile "$svc")"
    say "$svc: stopped"
}

# Shell exports for tests, the CLI and the quickstart.
write_stack_env() {
    mkdir -p "$VAR_DIR"
    local tmp="$STACK_ENV.tmp"
    cat >"$tmp" <<EOF
# Written by deploy/local/stack.sh up on $(date -Is); source it.
export ELASTICSEARCH_URL=$(url_of opensearch)
export NEWSMON_PROMETHEUS_URL=$(url_of prometheus)
export NEWSMON_ALERTMANAGER_URL=$(url_of alertmanager)
export NEWSMON_FEEDS_URL=$(url_of feeds)
export NEWSMON_PRISM_LOCATION=$PRISM_BIN
export NEWSMON_FLINK_JOB_SERVER_JAR=$CACHE_DIR/flink/flink-job-server.jar
export NEWSMON_METRICS_PORT=$METRICS_PORT
export NEWSMON_FLINK_MASTER=127.0.0.1:$FLINK_REST_PORT
export NEWSMON_FLINK_SDK_WORKER=$LOCAL_DIR/flink/sdk-worker
export NEWSMON_FLINK_HOME=$FLINK_HOME_DIR
EOF
    mv "$tmp" "$STACK_ENV"
    say "wrote $STACK_ENV"
}

# ----------------------------------------------------------- commands ------

cmd_up() {
    local svc started=() failed=()
    # Start everything first, then wait: the services boot in parallel.
    for svc in "$@"; do
        if start_service "$svc"; then started+=("$svc"); else failed+=("$svc"); fi
    done
    for svc in "${started[@]}"; do
        wait_ready "$svc" || failed+=("$svc")
    done
    if ((${#failed[@]} > 0)); then
        die "not started or not ready: ${failed[*]} (logs in $LOG_DIR)"
    fi
    [[ -x "$PRISM_BIN" ]] || warn "prism: $PRISM_BIN not found (run deploy/local/install.sh prism)"
    write_stack_env
}

cmd_down() {
    local i
    # Reverse order: dependants first.
    for ((i = $# ; i >= 1; i--)); do
        stop_service "${!i}"
    done
}

cmd_status() {
    local svc pid state rc=0
    for svc in "$@"; do
        if pid="$(running_pid "$svc")"; then
            if "ready_$svc"; then state="ready"; else state="running, NOT ready"; rc=1; fi
            printf '%-13s %-20s pid %-8s %s\n' "$svc" "$state" "$pid" "$(url_of "$svc")"
        else
            printf '%-13s %-20s %-12s %s\n' "$svc" "stopped" "" "$(url_of "$svc")"
            rc=1
        fi
    done
    return $rc
}

main() {
    [[ $# -ge 1 ]] || { usage; exit 2; }
    local command="$1" svc
    shift
    local services=()
    if [[ $# -eq 0 ]]; then
        services=("${ALL_SERVICES[@]}")
    fi
    for svc in "$@"; do
        case "$svc" in
        opensearch | prometheus | alertmanager | feeds | flink-jobmanager | flink-taskmanager) services+=("$svc") ;;
        flink) services+=("${FLINK_SERVICES[@]}") ;;
        *) die "unknown service '$svc' (expected: ${ALL_SERVICES[*]} flink ${FLINK_SERVICES[*]})" ;;
        esac
    done
    # One stack.sh at a time per checkout: two concurrent `up`s must not both
    # start the same service.
    mkdir -p "$RUN_DIR"
    exec 9>"$RUN_DIR/.lock"
    flock -w 300 9 || die "another stack.sh still holds $RUN_DIR/.lock after 300s"
    case "$command" in
    up) cmd_up "${services[@]}" ;;
    down) cmd_down "${services[@]}" ;;
    status) cmd_status "${services[@]}" ;;
    -h | --help | help) usage ;;
    *) usage; exit 2 ;;
    esac
}

main "$@"
