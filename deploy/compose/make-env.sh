#!/usr/bin/env bash
# Create deploy/.env with random secrets for deploy/docker-compose.yml.
#
#   bash deploy/compose/make-env.sh [ENV_FILE]     (default: deploy/.env)
#
# Idempotent: an existing file is kept and only the variables it lacks are
# appended, so re-running never changes a password a running stack uses.
# The file is created with mode 600 and must never be committed.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
env_file="${1:-$here/../.env}"

# 32 characters from [A-Za-z0-9]: safe inside JSON, YAML and URLs.
random_secret() {
    local s
    s="$(LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c "${1:-32}")" || true
    [[ ${#s} -eq ${1:-32} ]] || { echo "make-env: could not read /dev/urandom" >&2; exit 1; }
    printf '%s' "$s"
}

umask 077
if [[ ! -f "$env_file" ]]; then
    printf '# Secrets for deploy/docker-compose.yml, made by deploy/compose/make-env.sh. Never commit.\n' >"$env_file"
    echo "make-env: created $env_file"
fi
chmod 600 "$env_file"

added=0
# A file from before the three Kibana keys had one KIBANA_ENCRYPTION_KEY for all of them: the
# saved-objects key keeps its value, or the objects it encrypted would become unreadable.
old_key="$(sed -n 's/^KIBANA_ENCRYPTION_KEY=//p' "$env_file" | tail -n 1)"
for name in ELASTIC_PASSWORD KIBANA_SYSTEM_PASSWORD NEWSMON_ES_PASSWORD NEWSMON_DASHBOARDS_PASSWORD \
    GRAFANA_ADMIN_PASSWORD KIBANA_SECURITY_ENCRYPTION_KEY KIBANA_SAVED_OBJECTS_ENCRYPTION_KEY \
    KIBANA_REPORTING_ENCRYPTION_KEY; do
    if ! grep -q "^${name}=" "$env_file"; then
        length=32
        [[ $name == *_ENCRYPTION_KEY ]] && length=48
        if [[ $name == KIBANA_SAVED_OBJECTS_ENCRYPTION_KEY && -n "$old_key" ]]; then
            value="$old_key"
        else
            value="$(random_secret "$length")"
        fi
        printf '%s=%s\n' "$name" "$value" >>"$env_file"
        added=$((added + 1))
    fi
done
# Not a secret: docker-compose.yml requires it, so that no deploy/.env means a stop naming this script.
if ! grep -q "^NEWSMON_COMPOSE_SECRETS=" "$env_file"; then
    printf 'NEWSMON_COMPOSE_SECRETS=made-by-make-env.sh\n' >>"$env_file"
fi
echo "make-env: $env_file has all secrets ($added new)"

# Warn when git would pick the file up.
if command -v git >/dev/null 2>&1 && git -C "$here" rev-parse --git-dir >/dev/null 2>&1; then
    ignored=0
    git -C "$here" check-ignore -q "$env_file" 2>/dev/null || ignored=$?
    # 1 = inside the repository and not ignored (128 = outside it: nothing to warn about).
    if [[ $ignored -eq 1 ]]; then
        echo "make-env: WARNING: $env_file is not git-ignored; add it to .gitignore" >&2
    fi
fi
