"""Names and numbers shared by the pipeline and the web app.

Kept free of scikit-learn and pandas imports so that Django (which reads the algorithm names
for its model choices) starts without paying for them.
"""

from __future__ import annotations

AUTO = "auto"
DEFAULT_SEED = 42
# A passenger is predicted to survive when the probability is at least this.
THRESHOLD = 0.5

# name → label, in the order candidates are tried (see training.ALGORITHMS).
ALGORITHM_LABELS: dict[str, str] = {
    "logreg": "Logistic regression",
    "random_forest": "Random forest",
    "hist_gradient_boosting": "Histogram gradient boosting",
    "ensemble": "Soft-voting ensemble",
}

# Metrics that cross-validation measures, name → label; `--metric` picks one to select by.
METRIC_LABELS: dict[str, str] = {
    "roc_auc": "ROC AUC",
    "accuracy": "Accuracy",
    "average_precision": "Average precision",
    "brier": "Brier score",
    "log_loss": "Log loss",
}
DEFAULT_METRIC = "roc_auc"
# For these, smaller is better; for the others, larger is better.
LOWER_IS_BETTER: frozenset[str] = frozenset({"brier", "log_loss"})
