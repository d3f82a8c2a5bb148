#!/usr/bin/env bash
# Runs every benchmark; each prints its baseline, measured in the same run, and the ratio as its last line.
# Benchmarks that need Elasticsearch start (and stop) their own node unless EARFUL_TEST_ES_URL is set.
set -euo pipefail
cd "$(dirname "$0")/.."
for bench in index_throughput match_rules crawl enrich_throughput alert_latency; do
  echo "== bench/$bench.py"
  .venv/bin/python "bench/$bench.py" "$@"
done
# the CRM reference checks (CDNOW, FEBRL 4) take no options
echo "== bench/crm_reference.py"
.venv/bin/python bench/crm_reference.py
# the HTTP API against the store it serves (the embedded SQLite store; its own options only)
echo "== bench/api_search.py"
.venv/bin/python bench/api_search.py
# a month report of 3 brands over 100,000 mentions, SQLite and Elasticsearch (its own options only)
echo "== bench/report_build.py"
.venv/bin/python bench/report_build.py
