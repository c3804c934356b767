"""Geometry for the overview's server-drawn SVG bar charts (the template draws them; no script, no CDN).

The words on them (each bar's tooltip, the axis, the dates) are content/staff.yml's: `charts:`, with the
short month names of `labels:`; `words` is staff.yml's sections (ContentStore.staff_words)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from bot.content.models import Labels, fill
from bot.storage.staff_repository import Overview
from bot.web.staff.present import on_day

WIDTH = 640
LEFT, RIGHT, TOP, BOTTOM = 40, 10, 12, 36


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str  # shown as a tooltip and read by screen readers


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    anchor: str = "middle"


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    rects: list[Rect]
    labels: list[Label]
    gridlines: list[float]  # y positions


def _nice_ceiling(value: float) -> int:
    """1, 2, 5, 10, 20, 50... at or above `value` (at least 1)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return int(step * power)
    return int(10 * power)


def _axis(top: int, plot_height: float, highest: int, form: str = "{value}") -> tuple[list[float], list[Label]]:
    lines, labels = [], []
    for fraction in (0, 0.5, 1):
        y = top + plot_height * (1 - fraction)
        value = highest * fraction
        lines.append(y)
        if value == int(value):  # no "0.5 referrals"
            labels.append(Label(LEFT - 6, y + 4, fill(form, value=int(value)), "end"))
    return lines, labels


def _day(day: date, words: Labels) -> str:
    """A week's first day under its bar: "16 Nov"."""
    return on_day(day, words["labels"], words["charts"]["week_day"])


def weekly_chart(overview: Overview, words: Labels, height: int = 240) -> Chart:
    """Stacked bars per week: standard below, urgent on top."""
    weeks = overview.weeks
    plot_w, plot_h = WIDTH - LEFT - RIGHT, height - TOP - BOTTOM
    highest = _nice_ceiling(max((w.total for w in weeks), default=0))
    slot = plot_w / max(len(weeks), 1)
    bar = slot * 0.7
    rects: list[Rect] = []
    labels: list[Label] = []
    gridlines, axis_labels = _axis(TOP, plot_h, highest)
    for index, week in enumerate(weeks):
        x = LEFT + index * slot + (slot - bar) / 2
        base = TOP + plot_h
        day = _day(week.week_start, words)
        for count, css, key in ((week.standard, "bar-standard", "week_standard"), (week.urgent, "bar-urgent", "week_urgent")):
            if count:
                h = plot_h * count / highest
                base -= h
                rects.append(Rect(x, base, bar, h, css, fill(words["charts"][key], day=day, count=count)))
        labels.append(Label(x + bar / 2, height - BOTTOM + 16, day))
    return Chart(WIDTH, height, rects, axis_labels + labels, gridlines)


def urgent_share_chart(overview: Overview, words: Labels, height: int = 200) -> Chart:
    """The share of each week's referrals that were urgent, as a percentage (weeks with none are left empty)."""
    weeks = overview.weeks
    plot_w, plot_h = WIDTH - LEFT - RIGHT, height - TOP - BOTTOM
    slot = plot_w / max(len(weeks), 1)
    bar = slot * 0.7
    gridlines, axis_labels = _axis(TOP, plot_h, 100, words["charts"]["percent"])
    rects, labels = [], []
    for index, week in enumerate(weeks):
        x = LEFT + index * slot + (slot - bar) / 2
        day = _day(week.week_start, words)
        if week.total:
            share = week.urgent / week.total
            h = plot_h * share
            rects.append(
                Rect(
                    x,
                    TOP + plot_h - h,
                    bar,
                    h,
                    "bar-urgent",
                    fill(words["charts"]["week_share"], day=day, percent=round(100 * share), urgent=week.urgent, total=week.total),
                )
            )
        labels.append(Label(x + bar / 2, height - BOTTOM + 16, day))
    return Chart(WIDTH, height, rects, axis_labels + labels, gridlines)


def topics_chart(topics: Sequence[tuple[str, int]], titles: Mapping[str, str], words: Labels, limit: int = 12) -> Chart:
    """Horizontal bars: how many referring parents had looked at each topic first."""
    shown = list(topics[:limit])
    row, label_w = 26, 230
    height = TOP + row * max(len(shown), 1) + 8
    highest = max((count for _, count in shown), default=1)
    plot_w = WIDTH - label_w - 50
    rects, labels = [], []
    for index, (topic_id, count) in enumerate(shown):
        y = TOP + index * row
        title = titles.get(topic_id, topic_id)
        w = plot_w * count / highest
        rects.append(Rect(label_w, y + 4, w, row - 8, "bar-topic", fill(words["charts"]["topic"], topic=title, count=count)))
        labels.append(Label(label_w - 8, y + row / 2 + 4, title if len(title) <= 34 else title[:33] + "…", "end"))
        labels.append(Label(label_w + w + 6, y + row / 2 + 4, str(count), "start"))
    return Chart(WIDTH, height, rects, labels, [])
