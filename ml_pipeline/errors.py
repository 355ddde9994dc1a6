"""The project's one error hierarchy (kept free of Django, so the pipeline can use it too).

Two kinds of failure reach people, and every interface (the page, its htmx partial, the API,
the admin, the command line) turns each kind into an answer in one place:

- `InputError`: what a user or caller did wrong: a field broke a rule, a version or a
  prediction that does not exist, a change that conflicts with what is recorded. The message
  names the field and the rule; nothing was written.
- `UnavailableError`: what the service cannot do now, whatever the caller sends: no model is
  active, a model file is missing or altered, the database cannot be reached.

Subclasses only name the case (and, where it is not the default, the HTTP status an HTTP
interface answers with); the message is always meant for a person.
"""

from __future__ import annotations

from http import HTTPStatus


class PredictorError(Exception):
    """Base of every error the project reports to people.

    Attributes:
        message: the error in words, for a person.
        field: the input it is about ("" when it is about the request as a whole).
        rule: a short machine-readable name of the rule that was broken or the case.
        status: the HTTP status an HTTP interface answers with.
    """

    status: int = HTTPStatus.BAD_REQUEST
    rule: str = "error"

    def __init__(self, message: str, *, field: str = "", rule: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if rule is not None:
            self.rule = rule


class InputError(PredictorError):
    """What a user or caller did wrong; nothing was written."""

    status = HTTPStatus.UNPROCESSABLE_ENTITY
    rule = "invalid"


class NotFoundError(InputError):
    """Something asked for by its number or id does not exist."""

    status = HTTPStatus.NOT_FOUND
    rule = "not_found"


class ConflictError(InputError):
    """A change that contradicts what is recorded, or that the rules refuse."""

    status = HTTPStatus.CONFLICT
    rule = "conflict"


class UnauthorizedError(InputError):
    """A request without the credentials it needs, or with ones that are not valid."""

    status = HTTPStatus.UNAUTHORIZED
    rule = "unauthorized"


class UnavailableError(PredictorError):
    """What the service cannot do now, whatever the caller sends."""

    status = HTTPStatus.SERVICE_UNAVAILABLE
    rule = "unavailable"


class DataValidationError(InputError):
    """The data cannot be used; the message says why, for a person to fix."""

    rule = "invalid_data"
