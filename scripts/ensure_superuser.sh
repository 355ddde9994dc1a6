#!/usr/bin/env bash
# Makes sure the admin user named by DJANGO_SUPERUSER_USERNAME exists (its password from
# DJANGO_SUPERUSER_PASSWORD); without those variables, says how to create one.
set -euo pipefail
python="$1"

if [ -z "${DJANGO_SUPERUSER_USERNAME:-}" ] || [ -z "${DJANGO_SUPERUSER_PASSWORD:-}" ]; then
  echo "No admin user requested. Create one with: $python manage.py createsuperuser"
  echo "(or set DJANGO_SUPERUSER_USERNAME and DJANGO_SUPERUSER_PASSWORD before 'make run')."
  exit 0
fi
if "$python" manage.py shell -c "
import os, sys
from django.contrib.auth import get_user_model
sys.exit(0 if get_user_model().objects.filter(username=os.environ['DJANGO_SUPERUSER_USERNAME']).exists() else 1)
"; then
  echo "Admin user '$DJANGO_SUPERUSER_USERNAME' exists."
else
  DJANGO_SUPERUSER_EMAIL="${DJANGO_SUPERUSER_EMAIL:-admin@localhost}" \
    "$python" manage.py createsuperuser --noinput
  echo "Created admin user '$DJANGO_SUPERUSER_USERNAME'."
fi
