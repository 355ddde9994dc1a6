#!/usr/bin/env bash
# `make cluster`, the Redis tests and CI need redis-server, from Debian's packages; installed
# when missing and we are root. The project never uses the system's own Redis service: each
# user starts its own server on a private port.
set -euo pipefail
if command -v redis-server >/dev/null; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing redis-server from Debian's packages…" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  exit 0
fi
echo "This needs redis-server: install it (Debian: sudo apt-get install redis-server)." >&2
exit 1
