#!/usr/bin/env bash
# Entrypoint of the `kibana` service of deploy/docker-compose.yml. Kibana reads
# no *_FILE variables and kibana.yml can only name environment variables, so
# this exports each secret file Compose wrote into /run/secrets/ as the
# variable kibana.yml names, then execs the image's start command ("$@").
# The values live only in the Kibana process's environment, never in the
# container's configuration (docker inspect) or in deploy/docker-compose.yml.
set -euo pipefail

secrets_dir="${NEWSMON_SECRETS_DIR:-/run/secrets}"
for pair in \
    KIBANA_SYSTEM_PASSWORD=kibana_system_password \
    KIBANA_SECURITY_ENCRYPTION_KEY=kibana_security_encryption_key \
    KIBANA_SAVED_OBJECTS_ENCRYPTION_KEY=kibana_saved_objects_encryption_key \
    KIBANA_REPORTING_ENCRYPTION_KEY=kibana_reporting_encryption_key; do
    name="${pair%%=*}"
    file="$secrets_dir/${pair#*=}"
    if [[ ! -r "$file" ]]; then
        echo "kibana-entrypoint: cannot read $file for $name — fix: bash deploy/compose/make-env.sh, then docker compose up -d" >&2
        exit 2
    fi
    value="$(<"$file")"
    [[ -n "$value" ]] || { echo "kibana-entrypoint: $file is empty ($name)" >&2; exit 2; }
    export "$name=$value"
done
(($# > 0)) || { echo "kibana-entrypoint: no command to run" >&2; exit 2; }
exec "$@"
