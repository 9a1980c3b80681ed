"""Calls per hour as an SVG bar chart, drawn on the server: no script, nothing from a CDN."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

WIDTH, HEIGHT, TOP = 840, 110, 8  # the viewBox; bars scale to the busiest hour


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    title: str
    count: int


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    ticks: list[Tick]
    peak: int
    total: int
    width: int = WIDTH
    height: int = HEIGHT


def hourly_chart(hours: list[tuple[datetime, int]]) -> Chart:
    """One bar per hour (a hover title says which and how many), a tick at each midnight."""
    step = WIDTH / max(len(hours), 1)
    peak = max((n for _hour, n in hours), default=0)
    bars, ticks = [], []
    for i, (hour, count) in enumerate(hours):
        if hour.hour == 0 or (i == 0 and hour.hour < 18):  # no first label crowding the next midnight's
            ticks.append(Tick(x=i * step, label=f"{hour:%a %d}"))
        if not count:
            continue
        height = (HEIGHT - TOP) * count / peak
        title = f"{hour:%a %d %b, %H:00}: {count} call{'s' if count != 1 else ''}"
        bars.append(Bar(x=i * step, y=HEIGHT - height, width=max(step - 1, 1), height=height, title=title, count=count))
    return Chart(bars=bars, ticks=ticks, peak=peak, total=sum(n for _hour, n in hours))
