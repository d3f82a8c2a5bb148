#!/usr/bin/env bash
# Installs the browser the browser tests drive: Debian's Chromium, plus Noto CJK so Chinese pages render
# in screenshots and report PDFs; Pango, which WeasyPrint renders PDFs with; poppler-utils (pdftoppm,
# pdftotext), which the report tests read PDFs back with. Playwright's own browser download is never used
# (no downloads outside package managers).
set -euo pipefail

CHROMIUM=/usr/bin/chromium
if [[ -x "$CHROMIUM" ]] && fc-list 2>/dev/null | grep -qi 'Noto Sans CJK' && command -v pdftoppm >/dev/null \
  && ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0'; then
  exit 0
fi

PACKAGES=(chromium fonts-noto-cjk poppler-utils libpango-1.0-0 libpangoft2-1.0-0)
if [[ $(id -u) -eq 0 ]]; then
  APT=(apt-get)
elif command -v sudo >/dev/null 2>&1; then
  APT=(sudo apt-get)
else
  echo "infra/browser.sh: $CHROMIUM is missing and this user can neither run apt-get nor sudo." >&2
  echo "Install it as root: apt-get install -y ${PACKAGES[*]}" >&2
  exit 1
fi

echo "infra/browser.sh: installing ${PACKAGES[*]} with apt-get"
# Wait for another apt run (a parallel setup) instead of failing on the dpkg lock.
"${APT[@]}" -o DPkg::Lock::Timeout=600 update -qq
DEBIAN_FRONTEND=noninteractive "${APT[@]}" -o DPkg::Lock::Timeout=600 install -y -qq \
  --no-install-recommends "${PACKAGES[@]}" >/dev/null
"$CHROMIUM" --version
