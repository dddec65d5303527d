#!/usr/bin/env bash
# Quickstart: set everything up and run the live demo on the local stack.
#
#   bash deploy/local/quickstart.sh [extra `newsmon run` arguments]
#
# Installs what is missing (deploy/local/install.sh), starts OpenSearch,
# Prometheus (with the demo rules, deploy/local/prometheus-demo-rules.yml),
# Alertmanager and the static feed server (deploy/local/stack.sh up), then runs
# `newsmon demo` in the foreground: the demo newsroom publishes invented
# stories over time (a burst of trade stories about 3 minutes after the first
# poll) and `newsmon run` on Prism indexes them and alerts on the burst.
# Ctrl-C stops the demo; `bash deploy/local/stack.sh down` stops the services.
#
# Environment:
#   NEWSMON_DEMO_TIME_SCALE  multiplies every time of the demo (default 1; 0.5 runs it twice as fast)
#   DEMO_FEEDS_PORT          port of the demo feeds (default 8766, deploy/local/versions.env)
#   NEWSMON_QUICKSTART_SETUP 0: skip install and `stack.sh up`, use the services named by
#                            ELASTICSEARCH_URL, NEWSMON_PROMETHEUS_URL, NEWSMON_ALERTMANAGER_URL,
#                            NEWSMON_METRICS_PORT (how tests/e2e/test_quickstart_demo.py runs it)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"

if [[ "${NEWSMON_QUICKSTART_SETUP:-1}" != 0 ]]; then
    # Only what the demo needs (test.sh installs everything, incl. Flink and the deploy validators).
    bash "$here/install.sh" apt prism opensearch python detector
    bash "$here/stack.sh" up
    # shellcheck source=/dev/null
    source "$repo/.var/stack.env"
    # A Prometheus started before the demo rules existed does not have them: restart it (its data stays).
    if ! curl --noproxy '*' -fsS --max-time 5 "$NEWSMON_PROMETHEUS_URL/api/v1/rules" 2>/dev/null |
        grep -q '"newsmon-demo-topic-spikes"'; then
        echo "[newsmon-local] Prometheus has no demo rules loaded: restarting it with them"
        bash "$here/stack.sh" down prometheus
        bash "$here/stack.sh" up prometheus
    fi
fi
: "${ELASTICSEARCH_URL:?not set: run without NEWSMON_QUICKSTART_SETUP=0, or set it}"
: "${NEWSMON_METRICS_PORT:?not set: run without NEWSMON_QUICKSTART_SETUP=0, or set it}"
prometheus="${NEWSMON_PROMETHEUS_URL:-http://127.0.0.1:$PROMETHEUS_PORT}"
alertmanager="${NEWSMON_ALERTMANAGER_URL:-http://127.0.0.1:$ALERTMANAGER_PORT}"
feeds_port="${DEMO_FEEDS_PORT:-8766}"
scale="${NEWSMON_DEMO_TIME_SCALE:-1}"
export NEWSMON_DEADLETTER_PATH="${NEWSMON_DEADLETTER_PATH:-$repo/.var/deadletter.jsonl}"
feeds_dir="${NEWSMON_DEMO_FEEDS_DIR:-$repo/.var/demo-newsroom}"

cat <<INFO

newsmon demo on the local stack (time scale $scale; README "Quickstart" says what to expect when):
  demo feeds      http://127.0.0.1:$feeds_port/wire.xml, business.xml, usdesk.xml   (files in $feeds_dir)
  articles        curl -s '$ELASTICSEARCH_URL/news-articles-*/_search?q=tariffs&pretty'   or: .venv/bin/newsmon search tariffs
  metrics         http://127.0.0.1:$NEWSMON_METRICS_PORT/metrics
  Prometheus      $prometheus/graph?g0.expr=newsmon_relevant_articles_total   (demo spike: demo:topic:newsmon_relevant_articles:spike_ratio)
  spike document  curl -s '$ELASTICSEARCH_URL/news-alerts/_search?q=topic:trade&sort=@timestamp:desc&pretty'
  Alertmanager    $alertmanager/#/alerts   (NewsmonDemoTopicSpike)
  dead letters    $NEWSMON_DEADLETTER_PATH
Ctrl-C stops the demo; 'bash deploy/local/stack.sh down' stops the services.

INFO
cd "$repo"
exec "$repo/.venv/bin/newsmon" --log-format text demo --time-scale "$scale" \
    --feeds-port "$feeds_port" --feeds-dir "$feeds_dir" \
    --metrics-port "$NEWSMON_METRICS_PORT" "$@"
