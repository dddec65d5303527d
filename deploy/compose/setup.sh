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
#
# The index template is installed by `newsmon run` at start-up, and the Kibana
# saved objects by the `dashboards` service once Kibana is healthy.
set -euo pipefail

es="${ELASTICSEARCH_URL:-http://elasticsearch:9200}"
: "${ELASTIC_PASSWORD:?ELASTIC_PASSWORD is not set — fix: bash deploy/compose/make-env.sh}"
: "${KIBANA_SYSTEM_PASSWORD:?KIBANA_SYSTEM_PASSWORD is not set — fix: bash deploy/compose/make-env.sh}"
: "${NEWSMON_ES_PASSWORD:?NEWSMON_ES_PASSWORD is not set — fix: bash deploy/compose/make-env.sh}"

for name in KIBANA_SYSTEM_PASSWORD NEWSMON_ES_PASSWORD; do
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

echo "setup: role newsmon_writer"
role_file="${NEWSMON_WRITER_ROLE:-$(dirname "${BASH_SOURCE[0]}")/newsmon-writer-role.json}"
api PUT /_security/role/newsmon_writer "$(cat "$role_file")"

echo "setup: user newsmon"
api PUT /_security/user/newsmon "{\"password\":\"${NEWSMON_ES_PASSWORD}\",\"roles\":[\"newsmon_writer\"],\"full_name\":\"newsmon pipeline\"}"

echo "setup: done"
