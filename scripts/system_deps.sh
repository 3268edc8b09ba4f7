#!/usr/bin/env bash
# Install the system packages the full test suite uses (Debian's chromium, postgresql and nginx)
# when they are missing. Uses sudo when not root; prints a note and carries on when neither
# is possible (the browser, PostgreSQL and nginx tests then skip locally; under CI=true they fail).
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)
[ -x /usr/sbin/nginx ] || need+=(nginx)
# The page icons are emoji; scripts/screenshots.py needs a font that has them.
fc-list 2>/dev/null | grep -qi "color emoji" || need+=(fonts-noto-color-emoji)
command -v Rscript >/dev/null 2>&1 && Rscript -e "library(lme4); library(ordinal); library(pbkrtest); library(lmerTest)" >/dev/null 2>&1 \
  || need+=(r-base-core r-cran-lme4 r-cran-ordinal r-cran-pbkrtest r-cran-lmertest)
[ ${#need[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "note: install ${need[*]} with your package manager to run the browser/PostgreSQL/nginx tests" >&2
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "note: need root to apt-get install ${need[*]}" >&2; exit 0; fi
fi
echo "Installing ${need[*]} with apt-get ..."
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
