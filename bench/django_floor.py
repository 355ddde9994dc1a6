"""Reference implementation for comparison: an empty Django view rendering a small template,
served behind the app's own middleware stack (see django_floor_settings.py).

The view reads no model and no database: the difference between it and the htmx preview is
what the preview's own work costs (form, model call, explanation, the answer's template).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path


def empty(request: HttpRequest) -> HttpResponse:
    return render(request, "django_floor.html", {"probability": 90, "survived": True})


# Named like a page of the app, so the request metrics middleware counts it as it counts ours.
urlpatterns = [path("", empty, name="home")]
