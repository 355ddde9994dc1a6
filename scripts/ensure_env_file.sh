#!/usr/bin/env bash
# Makes sure .env (read by site_config/settings.py, git-ignored) holds a DJANGO_SECRET_KEY, so
# that manage.py commands work as the README writes them after `make run`. A key already in
# the file is kept; a new one is generated on this machine (by Django) and never leaves it.
set -euo pipefail
python="$1"
file="${2:-.env}"

if [ -f "$file" ] && grep -q '^DJANGO_SECRET_KEY=' "$file"; then
  exit 0
fi
key="$("$python" -c 'from django.core.management.utils import get_random_secret_key as k; print(k())')"
{
  echo "# Written by 'make run' for this checkout only; never commit it."
  # Single quotes: the key is read as written, whatever its characters.
  echo "DJANGO_SECRET_KEY='$key'"
} >> "$file"
chmod 600 "$file"
echo "Wrote a new secret key to $file."
