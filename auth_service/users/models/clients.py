"""Service clients: the services that obtain tokens of their own by client credentials."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models

from servicekit.models import UUIDModel


class ServiceClient(UUIDModel):
    """A service allowed to obtain service tokens by client credentials; the secret is stored hashed."""

    client_id = models.SlugField(max_length=64, unique=True)
    secret_hash = models.CharField(max_length=256)
    scopes = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    audience = models.CharField(max_length=64, blank=True, help_text="Empty: the platform audience.")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["client_id"]

    def __str__(self) -> str:
        return self.client_id
