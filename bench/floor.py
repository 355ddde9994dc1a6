"""Reference implementation for comparison: a bare WSGI function answering a fixed JSON body.

No framework and no model: what gunicorn and the load generator cost by themselves, the floor
under every other number (`gunicorn floor:application` from bench/).
"""

from __future__ import annotations

BODY = b'{"survived": true, "probability": 0.9}'
HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]


def application(environ, start_response):
    # Read the request body as a real endpoint must.
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length:
        environ["wsgi.input"].read(length)
    start_response("200 OK", HEADERS)
    return [BODY]
