"""What an agent says and how its model session is set up, for a given caller."""

from __future__ import annotations

from calls.bridge.config import SessionConfig, TurnTaking

from .models import Agent, Caller, NoiseReduction


def agent_instructions(agent: Agent, caller: Caller | None) -> str:
    """The agent's instructions, with what staff know about this caller appended."""
    parts = [agent.instructions.strip()]
    if caller is not None:
        known = [f"The caller is {caller.name}." if caller.name else "", caller.notes.strip()]
        known = [line for line in known if line]
        if known:
            parts.append("About the caller (from the business's records):\n" + "\n".join(known))
    return "\n\n".join(part for part in parts if part)


def agent_session_config(agent: Agent, caller: Caller | None = None) -> SessionConfig:
    """The model session this agent opens for `caller`."""
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
    )
