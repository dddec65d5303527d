#!/usr/bin/env bash
# Set everything up and run the whole test suite (every marker) on the local stack.
#
#   bash deploy/local/test.sh [pytest arguments]
#
# Installs what is missing, starts the services the tests need, runs ruff (lint + format check),
# mypy and pytest (unit, transforms, integration, e2e, slow), and stops the
# services it started. Exit status is pytest's (or the first failing check's).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

bash "$here/install.sh"
started=()
for svc in opensearch prometheus alertmanager; do
    if ! bash "$here/stack.sh" status "$svc" >/dev/null 2>&1; then started+=("$svc"); fi
done
cleanup() { if [ ${#started[@]} -gt 0 ]; then bash "$here/stack.sh" down "${started[@]}" || true; fi; }
trap cleanup EXIT
bash "$here/stack.sh" up opensearch prometheus alertmanager
# shellcheck source=/dev/null
source "$repo/.var/stack.env"
export ELASTICSEARCH_URL NEWSMON_PROMETHEUS_URL NEWSMON_ALERTMANAGER_URL NEWSMON_PRISM_LOCATION
export NEWSMON_CORPUS="${NEWSMON_CORPUS:-$(cd "$repo/.." && pwd)/shared/corpus}"
# Every test must run: a skip is a failure here (tests/conftest.py).
export NEWSMON_FORBID_SKIPS=1

cd "$repo"
echo "== ruff"; .venv/bin/ruff check pipeline tests benchmarks dashboards deploy
echo "== ruff format"; .venv/bin/ruff format --check --quiet pipeline tests benchmarks dashboards deploy
echo "== shellcheck"; find deploy .ci -type f \( -name '*.sh' -o -name run -o -name sdk-worker \) -print0 \
    | xargs -0 .venv/bin/shellcheck -x --source-path=SCRIPTDIR
echo "== mypy"; .venv/bin/mypy
echo "== pytest"; .venv/bin/python -m pytest -m "" "$@"
