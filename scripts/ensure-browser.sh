#!/usr/bin/env bash
# Browser tests drive Debian's Chromium (never a downloaded browser build) and need CJK fonts.
# Install them with apt when missing and we are allowed to (root); otherwise say what to do.
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing+=(fonts-noto-cjk)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "anbiao: installing ${missing[*]} for the browser tests"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "anbiao: browser tests need: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
