"""Reference implementation for comparison: the classic tutorial's Django view.

One module, one view: each request unpickles the model and the scaler from disk, turns the
form's fields into a numeric list and answers with the probability. Served by gunicorn like
the app (`gunicorn classic_django:application` from bench/), with BENCH_MODEL_DIR naming the
folder of model.pkl and scaler.pkl.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import django
from django.conf import settings
from reference_model import numeric_list

MODEL_DIR = Path(os.environ["BENCH_MODEL_DIR"])

settings.configure(
    DEBUG=False,
    SECRET_KEY="reference-app-for-comparison-only",
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=["django.middleware.common.CommonMiddleware"],
)
django.setup()

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import HttpRequest, JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402


def predict(request: HttpRequest) -> JsonResponse:
    with open(MODEL_DIR / "model.pkl", "rb") as model_file:
        model = pickle.load(model_file)
    with open(MODEL_DIR / "scaler.pkl", "rb") as scaler_file:
        scaler = pickle.load(scaler_file)
    values = numeric_list(request.POST)
    probability = float(model.predict_proba(scaler.transform([values]))[0][1])
    return JsonResponse({"survived": probability >= 0.5, "probability": probability})


urlpatterns = [path("predict/", predict)]
application = get_wsgi_application()
