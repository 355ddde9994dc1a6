"""API keys for programs calling the JSON API; only their hashes are stored."""

from __future__ import annotations

from django.db import models


class ApiKey(models.Model):
    """A key a program sends to the JSON API (`Authorization: Bearer <key>`), issued in the
    admin or with `manage.py api_key create` (see survival/apikeys/).

    Attributes:
        name: who or what uses it; unique for ever (revoked keys keep theirs), so the
            prediction log's names stay unambiguous.
        prefix: the key's first characters, shown to tell keys apart; not secret.
        key_sha256: the key's sha256 (hex); the key itself is only shown once, when issued.
        rate: its own rate ("<count>/<s|min|hour|day>"); empty: API_KEY_RATE's.
        created_at, revoked_at: when it was issued and revoked (None: valid); a revoked key
            is refused with 401 from the next request on, on every host.
        last_used_at: roughly when it was last used (see LAST_USED_GRANULARITY).
    """

    name = models.CharField(max_length=100, unique=True)
    prefix = models.CharField(max_length=16)
    # Unique, so indexed: each keyed request looks its key up by this alone.
    key_sha256 = models.CharField("key sha256", max_length=64, unique=True, editable=False)
    rate = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return self.name

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
