"""Errors the pipeline reports to people (kept import-light for the web app)."""


class DataValidationError(ValueError):
    """The data cannot be used; the message says why, for a person to fix."""
