"""How a referral is shown to the person about to get in touch, and how cells are made safe for spreadsheets."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.handoff.summary import Answers
from bot.storage.staff_repository import Overview, WeekCount
from bot.web.staff.charts import topics_chart, weekly_chart
from bot.web.staff.export import safe_cell
from bot.web.staff.present import ago, caller_card, when
from tests.helpers import shipped_content

CONTENT = shipped_content()


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+447700900123", "'+447700900123"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Leeds = home", "Leeds = home"),
        (None, ""),
        (True, "yes"),
        (12, "12"),
    ],
)
def test_cells_a_spreadsheet_would_run_as_formulas_get_an_apostrophe(value, cell: str) -> None:
    assert safe_cell(value) == cell


def test_an_unanswered_permission_is_read_as_no() -> None:
    answers = Answers(contact_method="phone", contact_phone="+447700900123", safe_to_leave_message=None)
    card = caller_card(CONTENT, answers)
    assert not card.leave_message.allowed and card.leave_message.words == "Not answered: treat as no"
    assert (card.route, card.route_href) == ("07700 900123", "tel:+447700900123")
    assert card.name == "Prefer not to say"


def test_an_email_contact_shows_the_address_to_write_to() -> None:
    answers = Answers(contact_method="email", contact_email="sam@example.org", safe_to_leave_message=True)
    card = caller_card(CONTENT, answers)
    assert (card.method, card.route, card.route_href) == ("Email", "sam@example.org", "mailto:sam@example.org")
    assert card.leave_message.allowed and card.leave_message.words == "Yes"


def test_with_no_way_to_reach_them_the_card_says_so() -> None:
    card = caller_card(CONTENT, Answers(contact_method="phone"))
    assert (card.route, card.route_href) == ("No contact details given", None)
    assert card.say_who_is_calling.words == "Not answered: treat as no" and not card.say_who_is_calling.allowed


def test_times_are_shown_in_uk_time() -> None:
    summer = datetime(2026, 7, 1, 12, 0, tzinfo=timezone.utc)
    assert when(summer, CONTENT.staff["labels"]) == "Wed 1 Jul 2026, 13:00"  # BST
    assert when(datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc), CONTENT.staff["labels"]) == "Tue 1 Dec 2026, 12:00"
    assert ago(summer - timedelta(hours=2, minutes=5), summer, CONTENT.staff["labels"]) == "2 hours ago"
    assert ago(summer - timedelta(minutes=1), summer, CONTENT.staff["labels"]) == "1 minute ago"


def test_charts_scale_to_the_busiest_week_and_the_most_viewed_topic() -> None:
    start = datetime(2026, 11, 2).date()
    overview = Overview(
        weeks=[WeekCount(start, 0, 0), WeekCount(start + timedelta(weeks=1), 2, 5)],
        topics=[("signs", 4), ("court", 2)],
        no_topics=0,
    )
    chart = weekly_chart(overview, CONTENT.staff)
    standard, urgent = chart.rects
    assert standard.css == "bar-standard" and urgent.css == "bar-urgent"
    assert urgent.y + urgent.height == pytest.approx(standard.y)  # stacked
    assert standard.height + urgent.height == pytest.approx((chart.height - 12 - 36) * 7 / 10)  # axis goes to 10
    bars = topics_chart(overview.topics, {"signs": "Signs to look out for"}, CONTENT.staff).rects
    assert bars[0].width == pytest.approx(2 * bars[1].width)
    assert bars[0].title == "Signs to look out for: 4"
