#!/usr/bin/env bash
# The test command (`make test`, .ci/run): start a dedicated Elasticsearch, run pytest against it, stop it.
#
#   bash infra/test.sh [pytest args...]        e.g. bash infra/test.sh tests/index -q -m integration
#
# The cluster is fresh, on loopback ports 9250/9350 (override with EARFUL_TEST_ES_PORT and
# EARFUL_TEST_ES_TRANSPORT_PORT), with its data in a temporary directory that is removed afterwards.
# If Elasticsearch cannot start, this fails: CI must never skip integration tests for want of a cluster.
# pytest's exit status is this script's exit status.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PYTEST="$ROOT/.venv/bin/pytest"
ESNODE="$ROOT/infra/elasticsearch/esnode.py"
PYTHON="$(command -v python3 || echo "$ROOT/.venv/bin/python")"  # esnode.py needs only the stdlib
HTTP_PORT="${EARFUL_TEST_ES_PORT:-9250}"
TRANSPORT_PORT="${EARFUL_TEST_ES_TRANSPORT_PORT:-9350}"

if [[ ! -x "$PYTEST" ]]; then
  echo "infra/test.sh: $PYTEST not found; set up the environment first (make setup)" >&2
  exit 2
fi

# The data dir is the mktemp dir itself: esnode.py hands it to its unprivileged user when run as root.
DATA_DIR="$(mktemp -d "${TMPDIR:-/tmp}/earful-test-es.XXXXXX")"

cleanup() {
  "$PYTHON" "$ESNODE" stop --data-dir "$DATA_DIR" || echo "infra/test.sh: could not stop the test cluster" >&2
  rm -rf "$DATA_DIR"
}
trap cleanup EXIT
# A signal must unwind through `exit`, so that the EXIT trap stops the cluster.
trap 'exit 130' INT
trap 'exit 143' TERM

"$PYTHON" "$ESNODE" start --fresh --cluster-name earful-test \
  --port "$HTTP_PORT" --transport-port "$TRANSPORT_PORT" --data-dir "$DATA_DIR" >/dev/null
export EARFUL_TEST_ES_URL="http://127.0.0.1:$HTTP_PORT"
echo "infra/test.sh: Elasticsearch for tests at $EARFUL_TEST_ES_URL" >&2

status=0
"$PYTEST" "$@" || status=$?
exit "$status"
