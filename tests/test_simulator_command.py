"""`manage.py simulate_call` against a real daphne and the realtime stand-in: a held call that staff
hang up is reported as a staff hang-up, a barge-in prints only the part of the greeting heard, and
`--turns N` holds a conversation of N caller turns, each answered before the next."""

from __future__ import annotations

import asyncio
import re
import sys

import pytest
import requests

from calls.audio import CLIP_TEXT
from calls.standin import RealtimeStandin

from .servers import ROOT, CallServer, call_server, superuser_env

pytestmark = pytest.mark.e2e

AUTH_TOKEN = "simulate-call-auth-token"
LOGIN = ("admin", "simulate-call-password")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with call_server(
        tmp_path_factory.mktemp("simulate-call"), TWILIO_AUTH_TOKEN=AUTH_TOKEN, **superuser_env(*LOGIN)
    ) as served:
        yield served


class Command:
    """`simulate_call` as a subprocess whose output is read as it is printed."""

    def __init__(self, server: CallServer, *options: str) -> None:
        self.args = [sys.executable, "manage.py", "simulate_call", "--base-url", server.url, *options]
        self.env = server.env
        self.lines: list[str] = []
        self._changed = asyncio.Condition()

    async def __aenter__(self) -> Command:
        self.process = await asyncio.create_subprocess_exec(
            *self.args, cwd=ROOT, env=self.env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc) -> None:
        if self.process.returncode is None:
            self.process.kill()
        await self._reader

    async def _read(self) -> None:
        while line := await self.process.stdout.readline():
            async with self._changed:
                self.lines.append(line.decode().rstrip("\n"))
                self._changed.notify_all()
        await self.process.wait()
        async with self._changed:
            self._changed.notify_all()

    async def line(self, pattern: str, timeout: float = 30) -> re.Match:
        """The first printed line matching `pattern`, waiting for it to be printed."""

        def found() -> re.Match | None:
            return next(filter(None, (re.search(pattern, line) for line in self.lines)), None)

        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: found() or self._reader.done())
        assert found(), self.output
        return found()

    async def finished(self, timeout: float = 60) -> int:
        await asyncio.wait_for(self._reader, timeout)
        return self.process.returncode

    @property
    def output(self) -> str:
        return "\n".join(self.lines)


def staff_hang_up(server: CallServer, call_sid: str) -> requests.Response:
    with requests.Session() as staff:
        page = staff.get(f"{server.url}/admin/login/", timeout=10)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        data = {"csrfmiddlewaretoken": token, "username": LOGIN[0], "password": LOGIN[1], "next": "/admin/"}
        staff.post(f"{server.url}/admin/login/", data=data, timeout=10).raise_for_status()
        url = f"{server.url}/admin/live/{call_sid}/hangup/"
        return staff.post(url, headers={"X-CSRFToken": staff.cookies["csrftoken"]}, timeout=10)


async def test_a_held_call_stays_up_after_the_answer_and_a_staff_hang_up_is_printed_as_such(server):
    async with RealtimeStandin(port=server.standin_port), Command(server, "--hangup-after", "30000") as command:
        call_sid = (await command.line(r"\(CallSid (CA\w+)\)")).group(1)
        # Printed once it has played: a caller without --hangup-after would leave half a second later.
        await command.line(re.escape(f"Agent: {CLIP_TEXT['answer']}"))
        assert (await asyncio.to_thread(staff_hang_up, server, call_sid)).json() == {"ok": True}
        assert await command.finished() == 0, command.output
    output = command.output
    assert f"Staff hung up the call ({LOGIN[0]})." in output
    assert "Call completed: staff_ended" in output
    assert "(the server ended the call)" in output
    assert "barged in" not in output and "the caller hung up" not in output, output
    assert server.rows("SELECT end_reason, ended_by FROM calls_call WHERE call_sid = ?", call_sid) == [
        ("staff_ended", LOGIN[0])
    ]


async def test_after_a_barge_in_only_the_part_of_the_greeting_heard_is_printed(server):
    async with RealtimeStandin(port=server.standin_port), Command(server, "--barge-in") as command:
        call_sid = (await command.line(r"\(CallSid (CA\w+)\)")).group(1)
        assert await command.finished() == 0, command.output
    ((heard, full, heard_ms),) = server.rows(
        "SELECT t.text, t.full_text, t.heard_ms FROM calls_transcriptitem t JOIN calls_call c ON c.id = t.call_id"
        " WHERE c.call_sid = ? AND t.role = 'agent' AND t.interrupted AND t.\"order\" = 0",
        call_sid,
    )
    assert full == CLIP_TEXT["greeting"] and heard and len(heard) < len(full)
    output = command.output
    assert re.search(r"\(caller barged in at \d+ ms, \d+ ms heard\)", output), output
    (greeting,) = [line for line in output.splitlines() if "Agent: Hello" in line]
    assert greeting.endswith(f"Agent: {heard}  [cut off after {heard_ms} ms heard]"), output
    assert CLIP_TEXT["greeting"] not in output  # the whole greeting, never heard, is never printed
    assert f"Agent: {CLIP_TEXT['answer']}" in output  # the answer played out before the caller left
    assert "Call completed: caller_hung_up" in output


TRANSCRIPT_LINE = re.compile(r"^\[\s*\d+\.\d+s\]\s+(Agent|Caller): (.*)$")


@pytest.mark.parametrize(("carrier", "turns", "options"), [("twilio", 3, ()), ("plivo", 2, ("--barge-in",))])
async def test_a_scripted_conversation_answers_each_caller_turn_before_the_next(server, carrier, turns, options):
    async with (
        RealtimeStandin(port=server.standin_port),
        Command(server, "--carrier", carrier, "--turns", str(turns), *options) as command,
    ):
        call_id = (await command.line(r"\(Call(?:Sid|UUID) ([\w-]+)\)")).group(1)
        assert await command.finished(timeout=60 + 15 * turns) == 0, command.output
    rows = server.rows(
        "SELECT t.role, t.text, t.interrupted FROM calls_transcriptitem t JOIN calls_call c ON c.id = t.call_id"
        ' WHERE c.call_sid = ? ORDER BY t."order"',
        call_id,
    )
    (greeting_role, greeting, cut), *conversation = rows
    assert greeting_role == "agent" and bool(cut) == bool(options)  # --barge-in talks over the greeting only
    question, answer = (CLIP_TEXT["caller_question"], False), (CLIP_TEXT["answer"], False)
    assert [(text, bool(interrupted)) for _, text, interrupted in conversation] == [question, answer] * turns
    assert [role for role, _, _ in conversation] == ["caller", "agent"] * turns
    printed = [match.groups() for match in map(TRANSCRIPT_LINE.match, command.output.splitlines()) if match]
    assert printed[0][0] == "Agent" and printed[0][1].startswith(greeting), command.output  # cut: what was heard
    assert printed[1:] == [("Caller", question[0]), ("Agent", answer[0])] * turns, command.output
    assert "(the caller hung up: answered)" in command.output
    assert "Call completed: caller_hung_up" in command.output


def test_an_agent_turn_is_printed_once_nothing_can_cut_it_any_more():
    from calls.management.commands.simulate_call import settled, transcript_line
    from calls.models import TranscriptItem

    greeting = TranscriptItem(role="agent", text="Hello! Thanks for calling.", offset_ms=0)
    question = TranscriptItem(role="caller", text="Hi, what are your opening hours?", offset_ms=4300)
    assert not settled([greeting], 0, over=False, idle=False)  # still playing: a barge-in may cut it
    assert settled([greeting], 0, over=False, idle=True)  # played out
    assert settled([greeting, question], 0, over=False, idle=False)  # the caller answered it
    assert settled([greeting], 0, over=True, idle=False)
    assert settled([question], 0, over=False, idle=False)  # what the caller said never changes
    cut = TranscriptItem(role="agent", text="Hello! Thanks", full_text="Hello! Thanks for calling.", interrupted=True)
    cut.heard_ms = 1360
    assert settled([cut], 0, over=False, idle=False)
    assert transcript_line(cut).endswith("Agent: Hello! Thanks  [cut off after 1360 ms heard]")
    assert "for calling" not in transcript_line(cut)


def test_turns_must_be_a_whole_number_of_at_least_one():
    from django.core.management import CommandError, call_command

    for bad in ("0", "-1", "two"):
        with pytest.raises(CommandError, match="--turns"):
            call_command("simulate_call", "--turns", bad)
