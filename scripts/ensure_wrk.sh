#!/usr/bin/env bash
# The benchmark's load generator is wrk, from Debian's packages; installed when missing and
# we are root.
set -euo pipefail
if command -v wrk >/dev/null; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing wrk from Debian's packages for the benchmark…"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
  exit 0
fi
echo "The benchmark needs wrk: install it (Debian: sudo apt-get install wrk)." >&2
exit 1
