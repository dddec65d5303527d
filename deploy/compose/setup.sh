#!/usr/bin/env bash
# One-shot `setup` service of deploy/docker-compose.yml (runs in the
# Elasticsearch image, which has bash and curl). Idempotent; re-run it after
# changing a password in deploy/.env:  docker compose -f deploy/docker-compose.yml run --rm setup
#
#   1. sets the built-in kibana_system user's password (KIBANA_SYSTEM_PASSWORD)
#   2. creates/updates the role newsmon_writer from newsmon-writer-role.json beside
#      this script: what `newsmon run` needs and no more (the reason for each
#      privilege is in deploy/README.md, "Elasticsearch privileges")
#   3. creates/updates the user newsmon with that role (NEWSMON_ES_PASSWORD)
#   4. creates/updates the role newsmon_dashboards from newsmon-dashboards-role.json
#      (only the Kibana feature privileges `newsmon dashboards import` needs) and
#      the user newsmon_dashboards with it (NEWSMON_DASHBOARDS_PASSWORD)
#
# Each password comes from NAME or, as compose passes them, from the file named
# by NAME_FILE (/run/secrets/...). It authenticates as `elastic`: on a new
# cluster no other user can create users and roles.
#
# The index template is installed by `newsmon run` at start-up, and the Kibana
# saved objects by the `dashboards` service once Kibana is healthy.
set -euo pipefail

es="${ELASTICSEARCH_URL:-http://elasticsearch:9200}"

# secret NAME: NAME from the environment, else the content of the file NAME_FILE.
secret() {
    local name="$1" file_var="${1}_FILE"
    if [[ -n "${!name:-}" ]]; then
        return 0
    fi
    if [[ -n "${!file_var:-}" ]]; then
        if [[ ! -r "${!file_var}" ]]; then
            echo "setup: $file_var=${!file_var}: cannot read the file — fix: bash deploy/compose/make-env.sh" >&2
            exit 2
        fi
        printf -v "$name" '%s' "$(<"${!file_var}")"
    fi
    if [[ -z "${!name:-}" ]]; then
        echo "setup: $name is not set (nor $file_var) — fix: bash deploy/compose/make-env.sh" >&2
        exit 2
    fi
}
for name in ELASTIC_PASSWORD KIBANA_SYSTEM_PASSWORD NEWSMON_ES_PASSWORD NEWSMON_DASHBOARDS_PASSWORD; do
    secret "$name"
done

for name in KIBANA_SYSTEM_PASSWORD NEWSMON_ES_PASSWORD NEWSMON_DASHBOARDS_PASSWORD; do
    if [[ ! ${!name} =~ ^[A-Za-z0-9_-]{12,}$ ]]; then
        echo "setup: $name must be at least 12 letters, digits, '-' or '_' — fix: bash deploy/compose/make-env.sh" >&2
        exit 2
    fi
done

out="$(mktemp)"
trap 'rm -f "$out"' EXIT

# api METHOD PATH [JSON]: one Elasticsearch call as `elastic`; fails loudly on >= 300.
api() {
    local code
    code="$(curl -sS -o "$out" -w '%{http_code}' -u "elastic:${ELASTIC_PASSWORD}" -X "$1" \
        -H 'Content-Type: application/json' "$es$2" ${3:+--data-binary "$3"})" || code=000
    if [[ $code -lt 200 || $code -ge 300 ]]; then
        echo "setup: $1 $2 answered $code: $(head -c 500 "$out")" >&2
        [[ $code == 401 ]] && echo "setup: fix: ELASTIC_PASSWORD in deploy/.env must be the elastic user's current password" >&2
        return 1
    fi
}

echo "setup: waiting for $es"
for _ in $(seq 1 120); do
    if api GET "/_cluster/health?wait_for_status=yellow&timeout=5s" 2>/dev/null; then break; fi
    sleep 2
done
api GET "/_cluster/health?wait_for_status=yellow&timeout=5s"

echo "setup: kibana_system password"
api POST /_security/user/kibana_system/_password "{\"password\":\"${KIBANA_SYSTEM_PASSWORD}\"}"

here="$(dirname "${BASH_SOURCE[0]}")"
echo "setup: role newsmon_writer"
api PUT /_security/role/newsmon_writer "$(cat "${NEWSMON_WRITER_ROLE:-$here/newsmon-writer-role.json}")"

echo "setup: user newsmon"
api PUT /_security/user/newsmon "{\"password\":\"${NEWSMON_ES_PASSWORD}\",\"roles\":[\"newsmon_writer\"],\"full_name\":\"newsmon pipeline\"}"

echo "setup: role newsmon_dashboards"
api PUT /_security/role/newsmon_dashboards "$(cat "${NEWSMON_DASHBOARDS_ROLE:-$here/newsmon-dashboards-role.json}")"

echo "setup: user newsmon_dashboards"
api PUT /_security/user/newsmon_dashboards "{\"password\":\"${NEWSMON_DASHBOARDS_PASSWORD}\",\"roles\":[\"newsmon_dashboards\"],\"full_name\":\"newsmon Kibana saved objects import\"}"

echo "setup: done"
