"""Which tools each agent may use, staff-defined HTTP tools, and what tools did in calls."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from agents.models import Agent


class ToolSetting(models.Model):
    """A built-in tool enabled for an agent, with its settings (validated against the tool's schema)."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="tool_settings")
    tool = models.CharField(max_length=64)
    enabled = models.BooleanField(default=True)
    settings = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agent", "tool"], name="one_setting_per_agent_tool")]
        ordering = ["agent", "tool"]

    def __str__(self) -> str:
        return f"{self.tool} for {self.agent}"

    def clean(self) -> None:
        from .registry import BUILTIN, settings_errors

        tool = BUILTIN.get(self.tool)
        if tool is None:
            raise ValidationError({"tool": f"No built-in tool is called {self.tool!r}."})
        errors = settings_errors(tool, self.settings)
        if errors:
            raise ValidationError({"settings": errors})


class HttpMethod(models.TextChoices):
    GET = "GET", "GET"
    POST = "POST", "POST"


class HttpTool(models.Model):
    """A tool staff define entirely in the admin: it calls one of the business's own systems."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="http_tools")
    name = models.SlugField(max_length=64, help_text="What the model calls it, e.g. check_order_status.")
    description = models.TextField(help_text="Tells the model when and why to use it.")
    parameters = models.JSONField(
        default=dict, help_text='JSON Schema of the arguments, e.g. {"type": "object", "properties": {...}}.'
    )
    method = models.CharField(max_length=6, choices=HttpMethod.choices, default=HttpMethod.GET)
    url_template = models.CharField(
        max_length=500, help_text="https://api.example.com/orders/{order_id} — arguments fill the {placeholders}."
    )
    headers = models.JSONField(
        default=dict, blank=True, help_text="Sent with every request (API keys live here, server-side only)."
    )
    allowed_hosts = models.CharField(max_length=500, help_text="Comma-separated hosts this tool may call.")
    timeout_seconds = models.PositiveIntegerField(default=8)
    max_response_bytes = models.PositiveIntegerField(default=16_384)
    enabled = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agent", "name"], name="one_http_tool_name_per_agent")]
        ordering = ["agent", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from .http_tool import template_errors

        errors = template_errors(self)
        if errors:
            raise ValidationError(errors)


class TakenMessage(models.Model):
    """A message the agent took for staff."""

    call = models.ForeignKey("calls.Call", null=True, on_delete=models.SET_NULL, related_name="messages")
    caller_name = models.CharField(max_length=100, blank=True)
    callback_number = models.CharField(max_length=32, blank=True)
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    handled = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.caller_name or self.callback_number}: {self.text[:50]}"


class ToolInvocation(models.Model):
    """One tool call in one phone call: what was asked, what came back, how long it took."""

    call = models.ForeignKey("calls.Call", on_delete=models.CASCADE, related_name="tool_calls")
    provider_call_id = models.CharField(max_length=64)
    name = models.CharField(max_length=64)
    arguments = models.TextField()
    result = models.TextField(blank=True)
    error = models.CharField(max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({'error' if self.error else 'ok'})"
