#!/usr/bin/env bash
# Validate deploy/docker-compose.yml and its config files without a Docker engine.
#
#   bash deploy/compose/validate.sh              (install Compose if needed, then validate)
#   bash deploy/compose/validate.sh --install    (only install Compose)
#   bash deploy/compose/validate.sh -- ARGS...   (run `docker compose ARGS...` the same way)
#
# Checks: `docker compose config -q` with the placeholder secrets
# (compose/env.example) and with a file made by make-env.sh; that without
# secrets `config` refuses and names make-env.sh; that no secret value appears
# in the resolved stack; `promtool check config` (the Prometheus release of the
# compose image, .cache/bin/promtool) on compose/prometheus.yml; `bash -n` on
# the scripts.
#
# Compose: `docker compose` when the machine has the plugin. Otherwise Docker
# Compose $COMPOSE_VERSION is built from the Go module proxy into
# .cache/bin/docker-compose (`go install` refuses the module because its go.mod
# has exclude directives, so it is built from a one-line wrapper module that
# repeats them) and used as a docker CLI plugin through DOCKER_CONFIG, or
# standalone when there is no docker client.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
deploy="$(cd "$here/.." && pwd -P)"
repo="$(cd "$deploy/.." && pwd -P)"
cache="$repo/.cache"
COMPOSE_VERSION=v2.40.3
compose_bin="$cache/bin/docker-compose"
compose_file="$deploy/docker-compose.yml"

say() { printf '[compose-validate] %s\n' "$*" >&2; }
die() { printf '[compose-validate] ERROR: %s\n' "$*" >&2; exit 1; }

system_compose() { command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; }

compose_is_current() {
    [[ -x "$compose_bin" ]] && command -v go >/dev/null 2>&1 &&
        go version -m "$compose_bin" 2>/dev/null |
        grep -Eq "^[[:space:]]+(mod|dep)[[:space:]]+github.com/docker/compose/v2[[:space:]]+${COMPOSE_VERSION}[[:space:]]"
}

install_compose() {
    system_compose && return 0
    compose_is_current && return 0
    command -v go >/dev/null 2>&1 || die "no 'docker compose' and no Go to build it — install Go (or the docker compose plugin)"
    say "building Docker Compose $COMPOSE_VERSION from the Go module proxy -> $compose_bin (a few minutes)"
    local mod="$cache/compose-build"
    rm -rf "$mod"
    mkdir -p "$mod" "$cache/bin"
    # The exclude block is copied from compose's own go.mod (v2.40.3).
    cat >"$mod/go.mod" <<'MOD'
module newsmon.local/compose-build

go 1.24.9

exclude (
	github.com/davecgh/go-spew v1.1.2-0.20180830191138-d8f796af33cc
	github.com/pmezard/go-difflib v1.0.1-0.20181226105442-5d4384ee4fb2
)
MOD
    if ! (
        cd "$mod"
        export GOPATH="$cache/go" GOMODCACHE="$cache/go/pkg/mod" GOCACHE="$cache/go-build" \
            GOFLAGS=-modcacherw GOTOOLCHAIN=local
        go get "github.com/docker/compose/v2/cmd@$COMPOSE_VERSION"
        go build -trimpath -o "$compose_bin" \
            -ldflags "-X github.com/docker/compose/v2/internal.Version=$COMPOSE_VERSION" \
            github.com/docker/compose/v2/cmd
    ) >"$mod/build.log" 2>&1; then
        tail -n 30 "$mod/build.log" >&2
        die "building docker-compose failed (log: $mod/build.log)"
    fi
    compose_is_current || die "docker-compose $COMPOSE_VERSION missing after the build"
}

# compose ARGS...: run Compose whichever way this machine has it.
compose() {
    if system_compose; then
        docker compose "$@"
    elif command -v docker >/dev/null 2>&1; then
        mkdir -p "$cache/docker/cli-plugins"
        ln -sf "$compose_bin" "$cache/docker/cli-plugins/docker-compose"
        DOCKER_CONFIG="$cache/docker" docker compose "$@"
    else
        "$compose_bin" "$@"
    fi
}

install_only=0
case "${1:-}" in
--install) install_only=1 ;;
--) shift; install_compose; compose "$@"; exit $? ;;
-h | --help) sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
"") ;;
*) die "unknown argument '$1'" ;;
esac

install_compose
[[ $install_only -eq 1 ]] && { say "compose ready: $(compose version)"; exit 0; }

# Secrets from the caller's environment would mask a missing .env: drop them.
unset ELASTIC_PASSWORD KIBANA_SYSTEM_PASSWORD NEWSMON_ES_PASSWORD NEWSMON_DASHBOARDS_PASSWORD \
    KIBANA_SECURITY_ENCRYPTION_KEY KIBANA_SAVED_OBJECTS_ENCRYPTION_KEY KIBANA_REPORTING_ENCRYPTION_KEY \
    GRAFANA_ADMIN_PASSWORD NEWSMON_COMPOSE_SECRETS NEWSMON_FEEDS_FILE
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

say "$(compose version)"
say "config with the placeholder secrets (compose/env.example)"
compose -f "$compose_file" --env-file "$here/env.example" config -q

say "config with secrets made by make-env.sh"
bash "$here/make-env.sh" "$tmp/generated.env" >/dev/null 2>&1
compose -f "$compose_file" --env-file "$tmp/generated.env" config -q

say "no secret value in the resolved stack (secrets reach the containers only as files)"
compose -f "$compose_file" --env-file "$tmp/generated.env" config >"$tmp/resolved.yml"
while IFS='=' read -r name value; do
    [[ $name =~ (PASSWORD|_KEY)$ && -n "$value" ]] || continue
    if grep -qF -- "$value" "$tmp/resolved.yml"; then
        die "the value of $name appears in \`docker compose config\`: pass it as a secret file"
    fi
done <"$tmp/generated.env"

say "config without secrets must refuse and name make-env.sh"
: >"$tmp/empty.env"
if compose -f "$compose_file" --env-file "$tmp/empty.env" config -q >"$tmp/out" 2>&1; then
    die "config accepted a stack without secrets"
fi
grep -q "make-env.sh" "$tmp/out" || die "config without secrets failed without naming make-env.sh: $(cat "$tmp/out")"

# The promtool of the compose image's Prometheus release (deploy/local/install.sh promtool).
promtool="$cache/bin/promtool"
if [[ -x "$promtool" ]]; then
    say "promtool check config compose/prometheus.yml ($("$promtool" --version 2>&1 | head -n 1))"
    "$promtool" check config --syntax-only "$here/prometheus.yml" >/dev/null
else
    die "$promtool not found — fix: bash deploy/local/install.sh promtool"
fi

bash -n "$here/setup.sh" "$here/make-env.sh" "$here/kibana-entrypoint.sh"
say "ok"
