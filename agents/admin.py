from __future__ import annotations

from django.contrib import admin

from .models import Agent, Caller, CallerGroup, PhoneNumber


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ["name", "realtime_model", "voice", "first_speaker", "turn_detection", "is_active"]
    list_filter = ["is_active", "realtime_model", "voice"]
    search_fields = ["name", "instructions"]


@admin.register(PhoneNumber)
class PhoneNumberAdmin(admin.ModelAdmin):
    list_display = ["number", "label", "agent", "access_policy"]
    list_filter = ["access_policy", "agent"]
    search_fields = ["number", "label"]


@admin.register(CallerGroup)
class CallerGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "description"]


@admin.register(Caller)
class CallerAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "group", "email", "status"]
    list_filter = ["status", "group"]
    search_fields = ["number", "name", "email"]
