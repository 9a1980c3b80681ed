"""Who may ask an AI assistant about calls, and what was asked.

A token is shown once, when it is issued; only its SHA-256 digest is stored. The token is
32 random bytes, so a fast digest is enough: there is nothing to guess, unlike a password.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class McpToken(models.Model):
    """A bearer token for `/mcp/`, acting with its staff user's permissions."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mcp_tokens")
    label = models.CharField(max_length=100, blank=True, help_text="Where it is used, e.g. Jordan's laptop.")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "MCP token"

    def __str__(self) -> str:
        return f"{self.user} · {self.label or f'token {self.pk}'}"


class Transport(models.TextChoices):
    HTTP = "http", "Streamable HTTP"
    STDIO = "stdio", "stdio"


class McpRequest(models.Model):
    """One tool call by an AI assistant: who, which tool, when, with what arguments."""

    at = models.DateTimeField(auto_now_add=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    token = models.ForeignKey(McpToken, null=True, blank=True, on_delete=models.SET_NULL, related_name="requests")
    transport = models.CharField(max_length=5, choices=Transport.choices)
    tool = models.CharField(max_length=64)
    arguments = models.JSONField(default=dict, blank=True)
    ok = models.BooleanField(default=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = "MCP request"

    def __str__(self) -> str:
        return f"{self.tool} by {self.user} at {self.at:%Y-%m-%d %H:%M:%S}"
