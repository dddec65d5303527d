#!/usr/bin/env bash
# Quickstart: set everything up and run the streaming job on the local stack.
#
#   bash deploy/local/quickstart.sh [extra `newsmon run` arguments]
#
# Installs what is missing (deploy/local/install.sh), starts OpenSearch,
# Prometheus, Alertmanager and the demo feed server (deploy/local/stack.sh up),
# then runs `newsmon run` on Prism over deploy/local/feeds.yaml in the
# foreground. Ctrl-C stops the job; `bash deploy/local/stack.sh down` stops
# the services.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

# Only what the demo needs (test.sh installs everything, incl. Flink and the deploy validators).
bash "$here/install.sh" apt prism opensearch python
bash "$here/stack.sh" up
# shellcheck source=/dev/null
source "$repo/.var/stack.env"
export NEWSMON_DEADLETTER_PATH="${NEWSMON_DEADLETTER_PATH:-$repo/.var/deadletter.jsonl}"

cat <<INFO

newsmon is starting on the local stack:
  search engine   $ELASTICSEARCH_URL   (try: curl -s '$ELASTICSEARCH_URL/news-articles-*/_search?q=tariffs&pretty')
  metrics         http://127.0.0.1:${NEWSMON_METRICS_PORT}/metrics
  Prometheus      $NEWSMON_PROMETHEUS_URL   (query: newsmon_relevant_articles_total)
  demo feeds      $NEWSMON_FEEDS_URL/wire.xml, $NEWSMON_FEEDS_URL/business.xml
  dead letters    $NEWSMON_DEADLETTER_PATH
Ctrl-C stops the job; 'bash deploy/local/stack.sh down' stops the services.

INFO
cd "$repo"
exec "$repo/.venv/bin/newsmon" --log-format text run --config "$here/feeds.yaml" \
    --metrics-port "$NEWSMON_METRICS_PORT" "$@"
