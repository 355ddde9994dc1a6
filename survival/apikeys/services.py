"""API keys: issue one (shown once, stored as its hash), revoke one, list them, and find the
valid key a request carries.

A key is `secrets.token_urlsafe(32)`: 256 random bits behind a short tag. Only its sha256 is
stored. A slow password hash (PBKDF2, Argon2) exists to make guessing a low-entropy password
from its hash expensive; nobody can guess 256 random bits however fast each try is, so it
would only add its deliberate cost (tens of milliseconds of CPU) to every API call. A plain,
unsalted digest also makes the lookup one indexed equality query, which a per-row salt would
not allow.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from ml_pipeline.errors import ConflictError, InputError, NotFoundError, UnauthorizedError
from survival.models import ApiKey

# What every key starts with, so that one found in a log or a repository is recognisable.
KEY_TAG = "tsp_"
# The key's first characters kept in the clear to tell keys apart (tag + 8 random ones).
PREFIX_LENGTH = len(KEY_TAG) + 8
NAME_MAX_LENGTH = ApiKey._meta.get_field("name").max_length
NAME_PATTERN = re.compile(r"[\w .@+-]+")
RATE_PATTERN = re.compile(r"[1-9][0-9]{0,8}/(s|sec|m|min|h|hour|d|day)")
# last_used_at is written only when the stored value is older than this: a keyed request
# costs one read, not a write, except about once per key per granularity.
LAST_USED_GRANULARITY = timedelta(minutes=10)

NAME_EMPTY = "name: an API key needs a name (who or what uses it)."
NAME_TOO_LONG = "name: at most {limit} characters (got {length})."
NAME_CHARACTERS = "name: only letters, digits, spaces and . _ @ + - are allowed."
NAME_TAKEN = (
    'name: an API key named "{name}" already exists (names are unique, revoked keys '
    "included, so the prediction log's names stay unambiguous)."
)
RATE_FORMAT = (
    'rate: "{rate}" is not a rate; write <count>/<s|min|hour|day> with a count of at '
    'least 1, e.g. "600/min".'
)
KEY_NOT_FOUND = 'name: there is no API key named "{name}".'
KEY_ALREADY_REVOKED = 'API key "{name}" was already revoked at {at:%Y-%m-%d %H:%M:%S} UTC.'
KEY_REQUIRED = "This API needs an API key: send the header Authorization: Bearer <key>."
KEY_INVALID = "The API key is not valid."
KEY_REVOKED = "The API key has been revoked."


class ApiKeyMissingError(UnauthorizedError):
    """A request without a key where the API requires one."""

    rule = "key_required"


class ApiKeyInvalidError(UnauthorizedError):
    """A key that is unknown or revoked (RFC 6750's "invalid_token")."""

    rule = "invalid_token"


class ApiKeyNameTakenError(ConflictError):
    rule = "name_taken"


class ApiKeyNotFoundError(NotFoundError):
    rule = "api_key_not_found"


class ApiKeyAlreadyRevokedError(ConflictError):
    rule = "already_revoked"


@dataclass(frozen=True)
class IssuedKey:
    """A key just issued: the row, and the key itself, which exists nowhere else and is
    shown to its owner this once."""

    api_key: ApiKey
    key: str


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def rate_check(rate: str, *, field: str = "rate") -> str:
    """The rate, stripped, if it is one the throttle reads ("600/min"); else InputError."""
    rate = rate.strip()
    if not RATE_PATTERN.fullmatch(rate):
        raise InputError(RATE_FORMAT.format(rate=rate), field=field, rule="rate_format")
    return rate


def name_check(name: str) -> str:
    """The name, stripped, if it follows the rules; else InputError naming the rule."""
    name = name.strip()
    if not name:
        raise InputError(NAME_EMPTY, field="name", rule="required")
    if len(name) > NAME_MAX_LENGTH:
        message = NAME_TOO_LONG.format(limit=NAME_MAX_LENGTH, length=len(name))
        raise InputError(message, field="name", rule="max_length")
    if not NAME_PATTERN.fullmatch(name):
        raise InputError(NAME_CHARACTERS, field="name", rule="characters")
    return name


def api_key_create(*, name: str, rate: str = "") -> IssuedKey:
    """Issues a key named `name` with its own `rate` (empty: the API_KEY_RATE setting's).

    Raises InputError for a bad name or rate and ApiKeyNameTakenError for a name in use;
    nothing is written then.
    """
    name = name_check(name)
    rate = rate_check(rate) if rate.strip() else ""
    key = KEY_TAG + secrets.token_urlsafe(32)
    try:
        # Its own transaction, so a refused duplicate leaves a caller's transaction usable.
        with transaction.atomic():
            api_key = ApiKey.objects.create(
                name=name, prefix=key[:PREFIX_LENGTH], key_sha256=key_digest(key), rate=rate
            )
    except IntegrityError:
        # The unique constraint decides, so two concurrent creations cannot both win.
        if ApiKey.objects.filter(name=name).exists():
            raise ApiKeyNameTakenError(NAME_TAKEN.format(name=name), field="name") from None
        raise
    return IssuedKey(api_key=api_key, key=key)


def api_key_revoke(*, name: str) -> ApiKey:
    """Revokes the key named `name`: every host refuses it from its next request on.

    Raises ApiKeyNotFoundError for an unknown name, ApiKeyAlreadyRevokedError for a key
    already revoked (its revocation time stands).
    """
    now = timezone.now()
    revoked = ApiKey.objects.filter(name=name, revoked_at__isnull=True).update(revoked_at=now)
    api_key = ApiKey.objects.filter(name=name).first()
    if api_key is None:
        raise ApiKeyNotFoundError(KEY_NOT_FOUND.format(name=name), field="name")
    if not revoked:
        message = KEY_ALREADY_REVOKED.format(name=name, at=api_key.revoked_at)
        raise ApiKeyAlreadyRevokedError(message, field="name")
    return api_key


def api_keys_revoke(*, api_keys: QuerySet[ApiKey]) -> int:
    """Revokes those of `api_keys` still valid; returns how many were."""
    return api_keys.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


def api_key_list() -> QuerySet[ApiKey]:
    """Every key, valid or revoked, by name."""
    return ApiKey.objects.order_by("name")


def api_key_rate(api_key: ApiKey) -> str:
    """The key's rate: its own, or the API_KEY_RATE setting's as it is now."""
    return api_key.rate or settings.API_KEY_RATE


def api_key_authenticate(*, key: str) -> ApiKey:
    """The valid key `key` is, found by its hash in one indexed query (so a revocation
    holds on every host from the next request: nothing is cached).

    Raises ApiKeyInvalidError for a key that is unknown or revoked.
    """
    api_key = (
        ApiKey.objects.filter(key_sha256=key_digest(key))
        .only("pk", "name", "rate", "revoked_at", "last_used_at")
        .first()
    )
    if api_key is None:
        raise ApiKeyInvalidError(KEY_INVALID)
    if api_key.revoked_at is not None:
        raise ApiKeyInvalidError(KEY_REVOKED)
    _note_use(api_key)
    return api_key


def _note_use(api_key: ApiKey) -> None:
    """Records roughly when the key was used, writing only when the recorded time is older
    than LAST_USED_GRANULARITY (and only if another worker has not just done it)."""
    now = timezone.now()
    cutoff = now - LAST_USED_GRANULARITY
    if api_key.last_used_at is not None and api_key.last_used_at > cutoff:
        return
    ApiKey.objects.filter(pk=api_key.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lte=cutoff)
    ).update(last_used_at=now)
    api_key.last_used_at = now
