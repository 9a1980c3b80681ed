"""What an agent says and how its model session is set up, for a given caller; agent history."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from calls.bridge.config import SessionConfig, ToolSpec, TurnTaking

from .models import Agent, AgentVersion, Caller, GroupGreeting, NoiseReduction


def agent_instructions(agent: Agent, caller: Caller | None) -> str:
    """The agent's instructions, with what staff know about this caller appended."""
    parts = [agent.instructions.strip()]
    if caller is not None:
        known = [f"The caller is {caller.name}." if caller.name else "", caller.notes.strip()]
        known = [line for line in known if line]
        if known:
            parts.append("About the caller (from the business's records):\n" + "\n".join(known))
    return "\n\n".join(part for part in parts if part)


def agent_session_config(
    agent: Agent, caller: Caller | None = None, *, tools: tuple[ToolSpec, ...] = ()
) -> SessionConfig:
    """The model session this agent opens for `caller`, offering `tools`."""
    return SessionConfig(
        model=agent.realtime_model,
        instructions=agent_instructions(agent, caller),
        voice=agent.voice,
        turn_taking=TurnTaking(
            kind=agent.turn_detection,
            threshold=agent.vad_threshold,
            prefix_padding_ms=agent.vad_prefix_padding_ms,
            silence_duration_ms=agent.vad_silence_duration_ms,
            eagerness=agent.eagerness,
        ),
        noise_reduction=None if agent.noise_reduction == NoiseReduction.OFF else agent.noise_reduction,
        transcription_model=agent.transcription_model,
        transcription_language=caller.language if caller and caller.language else agent.transcription_language,
        tools=tools,
    )


def caller_first_name(caller: Caller | None) -> str:
    name = caller.name.strip() if caller is not None else ""
    return name.split()[0] if name else ""


def agent_greeting(agent: Agent, caller: Caller | None) -> str:
    """What `agent` says first to `caller`: the caller's group greeting if it has one, else the default.

    `{first_name}` becomes the caller's first name, or the agent's fallback word. Only that
    placeholder is replaced (no str.format): a stray brace in a greeting must not break a call.
    """
    template = agent.greeting
    if caller is not None and caller.group_id is not None:
        per_group = GroupGreeting.objects.filter(agent=agent, group_id=caller.group_id).first()
        if per_group is not None:
            template = per_group.greeting
    return template.replace("{first_name}", caller_first_name(caller) or agent.name_fallback).strip()


def agent_version_record(*, agent: Agent, user: AbstractBaseUser | None) -> AgentVersion | None:
    """Record the agent's instructions and greeting if they differ from its latest version."""
    latest = agent.versions.order_by("-changed_at", "-pk").first()
    if latest is not None and (latest.instructions, latest.greeting) == (agent.instructions, agent.greeting):
        return None
    return AgentVersion.objects.create(
        agent=agent, instructions=agent.instructions, greeting=agent.greeting, changed_by=user
    )


@transaction.atomic
def agent_version_restore(*, version: AgentVersion, user: AbstractBaseUser | None) -> AgentVersion | None:
    """Put an old version's instructions and greeting back; the restore is itself a new version."""
    agent = Agent.objects.select_for_update().get(pk=version.agent_id)
    agent.instructions, agent.greeting = version.instructions, version.greeting
    agent.save(update_fields=["instructions", "greeting", "updated_at"])
    return agent_version_record(agent=agent, user=user)


def _copy_name(name: str) -> str:
    candidate, number = f"{name} (copy)", 2
    while Agent.objects.filter(name=candidate).exists():
        candidate, number = f"{name} (copy {number})", number + 1
    return candidate[:100]


@transaction.atomic
def agent_duplicate(*, agent: Agent, user: AbstractBaseUser | None) -> Agent:
    """A copy of `agent` with its group greetings and no numbers: edit it without touching live calls."""
    greetings = list(agent.group_greetings.all())
    copy = Agent.objects.get(pk=agent.pk)
    copy.pk = copy.id = None
    copy.name = _copy_name(agent.name)
    copy.save()
    GroupGreeting.objects.bulk_create(
        GroupGreeting(agent=copy, group_id=greeting.group_id, greeting=greeting.greeting) for greeting in greetings
    )
    agent_version_record(agent=copy, user=user)
    return copy
