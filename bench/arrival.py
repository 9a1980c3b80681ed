"""When a level's calls arrive: spread over a stagger, all within a second, or at a steady rate.

The steady-state figures come from calls that arrived over `--stagger` seconds. Real lines also
get bursts (a campaign, a TV spot, a shift change), when the set-up of new calls competes with
the audio of calls already talking (issue #17): `burst` and `rate` measure that.
"""

from __future__ import annotations

from dataclasses import dataclass

BURST_S = 1.0  # "N calls within one second"


@dataclass(frozen=True)
class Arrival:
    pattern: str  # "stagger", "burst" or "rate"
    stagger_s: float = 5.0  # stagger: the level's calls start evenly within this
    rate: float = 0.0  # rate: new calls a second ...
    for_s: float = 30.0  # ... for this long

    @classmethod
    def parse(cls, words: list[str], stagger_s: float, for_s: float) -> Arrival:
        """`["stagger"]`, `["burst"]` or `["rate", "5"]`, as given to --arrival."""
        match words:
            case ["stagger"]:
                return cls("stagger", stagger_s=stagger_s)
            case ["burst"]:
                return cls("burst", stagger_s=BURST_S)
            case ["rate", rate] if float(rate) > 0:
                return cls("rate", rate=float(rate), for_s=for_s)
        raise ValueError(f"--arrival takes stagger, burst or rate R (R > 0), not {' '.join(words)!r}")

    def calls(self, level: int) -> int:
        """How many calls the level places: a rate sets its own number."""
        return round(self.rate * self.for_s) if self.pattern == "rate" else level

    def offsets(self, level: int) -> list[float]:
        """Seconds after the level's start at which each call is placed."""
        n = self.calls(level)
        if self.pattern == "rate":
            return [i / self.rate for i in range(n)]
        return [i * self.stagger_s / max(1, n) for i in range(n)]

    def describe(self, level: int) -> str:
        if self.pattern == "rate":
            return f"{self.rate:g} new calls a second for {self.for_s:g} s ({self.calls(level)} calls)"
        return f"each level's calls starting within {self.stagger_s:g} s"
