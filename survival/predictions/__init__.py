"""Predictions for visitors and programs: the passenger form and page, scoring with the
answering version, the explanation, the prediction log and feedback, and live numbers."""
