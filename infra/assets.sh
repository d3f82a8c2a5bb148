#!/usr/bin/env bash
# Vendors the web UI's browser libraries: installs the versions pinned in api/web/package-lock.json with
# `npm ci` in a throwaway folder (node_modules never enters the repo), copies their minified browser
# builds and licences into api/web/static/vendor/ and records each file's sha256 in VERSIONS.json.
# The result is committed: serving the UI needs neither npm nor a CDN. tests/api/test_assets.py checks it.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WEB="$ROOT/api/web"
VENDOR="$WEB/static/vendor"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

command -v npm >/dev/null || { echo "infra/assets.sh: npm is needed (apt-get install npm)" >&2; exit 1; }
cp "$WEB/package.json" "$WEB/package-lock.json" "$WORK/"
# --ignore-scripts: nothing of a package runs here; we only copy files out of it.
(cd "$WORK" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)

# package | file inside the package | name under static/vendor
FILES=(
  "htmx.org|dist/htmx.min.js|htmx.min.js"
  "htmx.org|LICENSE|htmx.LICENSE.txt"
  "htmx-ext-sse|dist/sse.min.js|htmx-ext-sse.min.js"
  "htmx-ext-sse|LICENSE|htmx-ext-sse.LICENSE.txt"
  "vega|build/vega.min.js|vega.min.js"
  "vega|LICENSE|vega.LICENSE.txt"
  "vega-lite|build/vega-lite.min.js|vega-lite.min.js"
  "vega-lite|LICENSE|vega-lite.LICENSE.txt"
  "vega-embed|build/vega-embed.min.js|vega-embed.min.js"
  "vega-embed|LICENSE|vega-embed.LICENSE.txt"
)

rm -rf "$VENDOR"
mkdir -p "$VENDOR"
for entry in "${FILES[@]}"; do
  IFS='|' read -r package source target <<<"$entry"
  cp "$WORK/node_modules/$package/$source" "$VENDOR/$target"
done

python3 - "$WORK" "$VENDOR" "${FILES[@]}" <<'PY'
import hashlib
import json
import sys
from pathlib import Path

work, vendor, entries = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:]
versions: dict[str, dict[str, object]] = {}
for entry in entries:
    package, _, target = entry.split("|")
    installed = json.loads((work / "node_modules" / package / "package.json").read_text())
    record = versions.setdefault(package, {"version": installed["version"], "files": {}})
    digest = hashlib.sha256((vendor / target).read_bytes()).hexdigest()
    record["files"][target] = digest  # type: ignore[index]
(vendor / "VERSIONS.json").write_text(json.dumps(versions, indent=2, sort_keys=True) + "\n")
PY
echo "infra/assets.sh: vendored $(ls "$VENDOR" | wc -l) files into ${VENDOR#"$ROOT"/}"
