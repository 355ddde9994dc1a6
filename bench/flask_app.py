"""Reference implementation for comparison: a minimal Flask endpoint.

The model and scaler are unpickled once, when the module is imported; each request turns the
JSON body into a numeric list and answers with the probability. Served by gunicorn
(`gunicorn flask_app:app` from bench/), with BENCH_MODEL_DIR as for classic_django.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

from flask import Flask, jsonify, request
from reference_model import numeric_list

MODEL_DIR = Path(os.environ["BENCH_MODEL_DIR"])
model = pickle.loads((MODEL_DIR / "model.pkl").read_bytes())
scaler = pickle.loads((MODEL_DIR / "scaler.pkl").read_bytes())

app = Flask(__name__)


@app.post("/predict")
def predict():
    values = numeric_list(request.get_json())
    probability = float(model.predict_proba(scaler.transform([values]))[0][1])
    return jsonify(survived=probability >= 0.5, probability=probability)
