"""The JSON API under /api/v1/: `endpoints` (the NinjaAPI and its routes), `schemas` (the
request and response shapes, built from the feature schema) and `errors` (how every error
becomes a JSON answer)."""
