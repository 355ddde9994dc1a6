"""The keys programs send to the JSON API: `services` (issue, revoke, list, check a key)
and `admin` (issue and revoke them in Django's admin)."""
