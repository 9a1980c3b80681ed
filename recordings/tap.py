"""The recording's observer of a running call (calls.extensions): what the bridge sends and
hears goes to a `Recorder`. Only recorded calls get one, so the others cost nothing per frame.
"""

from __future__ import annotations

import logging

from calls.bridge import actions as act
from calls.extensions import CallEnd, CallObserver
from calls.services import BridgeSetup
from calls.store import CallStore

from .recorder import Recorder

logger = logging.getLogger(__name__)


def recording_observer(setup: BridgeSetup, store: CallStore) -> CallObserver | None:
    """Registered by the app: a tap for each call its agent (or number) records."""
    if not setup.record:
        return None
    return RecordingTap(call_id=setup.call_id, call_sid=setup.call_sid, store=store)


class RecordingTap:
    def __init__(self, *, call_id: int, call_sid: str, store: CallStore) -> None:
        self._call_id, self._call_sid, self._store = call_id, call_sid, store
        self._recorder: Recorder | None = None

    def started(self, now: float) -> None:
        """The stream started at `now`: the call's clock (and the transcript's offsets) begin here."""
        if self._recorder is not None:
            return
        from .services import recording_begin, recording_spool_path

        path = recording_spool_path(call_id=self._call_id)
        try:
            self._recorder = Recorder(path, now)
        except OSError:  # a full or read-only disk loses the recording, never the call
            logger.exception("call %s: cannot open recording spool %s", self._call_sid, path)
            return
        self._store.put(recording_begin, call_id=self._call_id, spool_path=str(path))

    def caller(self, payload: str, now: float) -> None:
        if self._recorder is not None:
            self._guarded(self._recorder.caller, payload, now)

    def to_caller(self, action: act.Action, now: float) -> None:
        if self._recorder is None:
            return
        if isinstance(action, act.PlayAudio):
            self._recorder.sent(action.payload, now)
        elif isinstance(action, act.ClearPlayback):
            self._recorder.cleared(now)

    def finished(self, end: CallEnd | None, now: float) -> None:
        """The call ended: close the spool and have it stored (after the call's own final write)."""
        if self._recorder is None:
            return
        from .services import recording_store

        self._guarded(self._recorder.finish, now)
        self._recorder = None
        self._store.put(recording_store, call_id=self._call_id)

    def _guarded(self, step, *args) -> None:
        try:
            step(*args)
        except OSError:
            logger.exception("call %s: recording write failed; recording stops", self._call_sid)
            self._recorder = None
