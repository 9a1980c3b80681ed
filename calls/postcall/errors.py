"""The one error post-call services raise: a reason safe to store and show, and whether to retry."""

from __future__ import annotations


class PostCallError(Exception):
    """A step failed. `reason` names what failed, never a secret: it is stored on the Call and emailed
    to nobody, but staff read it in the admin."""

    def __init__(self, reason: str, *, transient: bool) -> None:
        super().__init__(reason)
        self.reason = reason[:250]
        self.transient = transient
