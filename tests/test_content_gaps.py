"""The gaps the reports and parents name (issue 13): each new topic, rendered as a parent receives it,
says the facts it exists for, says where England and Wales differ, and marks what is unconfirmed."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot import conversation
from bot.content.check import check_content
from bot.content.loader import load_content
from tests.helpers import PLAIN, shipped_content, step_texts, topic, write_content

CONTENT = shipped_content()

NEW_TOPICS = (
    "arrested",
    "disruption",
    "threats",
    "sharing_fears",
    "complaints",
    "court_after",
    "school",
    "mental_health",
    "outside_home",
    "in_care",
    "separated",
    "partners",
)


@pytest.mark.parametrize(
    ("place", "facts"),
    [
        ("arrested/appropriate_adult", ["under 18", "appropriate adult", "social worker or a trained volunteer"]),
        ("arrested/solicitor", ["free legal advice", "ask for a solicitor before any interview", "voluntary interview"]),
        ("arrested/tell", ["being exploited", "nrm (national referral mechanism)", "does not have to agree"]),
        ("arrested/defence", ["section 45 of the modern slavery act", "england and wales", "the court decides"]),
        ("arrested/victim", ["seen as a victim", "crown prosecution service", "whether your child was exploited"]),
        ("disruption/warning_notice", ["child abduction warning notice", "under 16", "under 18 if the child is in care"]),
        ("disruption/sarahs_law", ["child sex offender disclosure scheme", "sarah's law", "england and wales", "101"]),
        ("disruption/marker", ["marker", "on your address and on your child's record", "brought home"]),
        ("threats/report", ["every threat", "101", "screenshot", "don't reply"]),
        ("threats/debt", ["owes them money", "made up", "talk to the police before you pay"]),
        ("threats/home", ["housing team", "because of threats", "wales has its own housing law"]),
        ("threats/street", ["don't go up to them", "busy, public place", "if they follow you or threaten you, call 999"]),
        ("sharing_fears/grass", ['"grass"', "without saying where it came from"]),
        ("sharing_fears/care", ["keep your child safe at home", "only go into care without your agreement if a court decides"]),
        ("sharing_fears/what_happens", ["children's services", "disrupt the abusers", "if your name will be shared"]),
        ("sharing_fears/anonymous", ["crimestoppers on 0800 555 111", "without giving a name", "fearless"]),
        ("complaints/council", ["three stages", "local government and social care ombudsman", "in wales there are two stages",
                                "public services ombudsman for wales"]),
        ("complaints/police", ["professional standards department", "independent office for police conduct", "review"]),
        ("complaints/school_health", ["governors", "parliamentary and health service ombudsman", "putting things right"]),
        ("court_after/review", ["victims' right to review", "under 18, a parent can ask", "3 months"]),
        ("court_after/therapy", ["therapy or counselling before a trial", "should not be put off"]),
        ("court_after/chisva", ["children's independent sexual violence adviser", "don't work for the police"]),
        ("court_after/after_trial", ["victim contact scheme", "12 months or more"]),
        ("court_after/support", ["0808 500 2222", "24 hours a day", "aged 16 or over"]),
        ("school/dsl", ["designated safeguarding lead", "in wales, they are the designated safeguarding person"]),
        ("school/agree", ["who may collect your child", "doesn't turn up"]),
        ("mental_health/camhs", ["child and adolescent mental health services", "your gp can refer"]),
        ("mental_health/crisis", ["111", "in wales, press 2", "0800 068 4141"]),
        ("outside_home/start", ["peer-on-peer abuse", "child-on-child abuse", "not your child's fault"]),
        ("outside_home/young_abusers", ["exploited too", "please don't confront"]),
        ("in_care/parents", ["parental responsibility", "care order", "independent reviewing officer"]),
        ("in_care/advice", ["in england, family rights group", "0808 801 0366", "in wales"]),
        ("separated/workers", ["two homes", "both addresses", "parental responsibility"]),
        ("separated/safety", ["abuse between you and the other parent", "don't have to share a plan", "999"]),
        ("partners/ask", ["named lead worker", "invited to meetings", "see reports before a meeting",
                          "help make the safety plan"]),
        ("partners/meetings", ["for workers only", "give your views before", "told the outcome after", "interpreter"]),
        ("partners/in_writing", ["please invite me to meetings", "send me the plan and the minutes"]),
    ],
)
def test_each_gap_step_says_what_a_parent_needs(place: str, facts: list[str]) -> None:
    topic_id, step_id = place.split("/")
    shown = step_texts(topic_id)[step_id]
    missing = [fact for fact in facts if fact not in shown]
    assert missing == [], place


def test_the_threatened_family_topic_starts_with_999_and_the_silent_solution() -> None:
    first = conversation.start_topic(CONTENT, "threats").messages[0].text
    assert first.startswith("If anyone is in danger right now, call 999.")
    assert "press 55" in first and "Silent Solution" in first


def test_complaining_goes_in_order_from_the_worker_to_an_ombudsman() -> None:
    ladder = step_texts("complaints")["ladder"]
    steps = ["talk to the worker", "their manager", "formal complaint in writing", "next stage", "ombudsman"]
    positions = [ladder.index(step) for step in steps]
    assert positions == sorted(positions)


@pytest.mark.parametrize(
    ("topic_id", "step_id", "target"),
    [
        ("criminal", "victim", "arrested"),
        ("court", "nfa", "court_after/review"),
        ("court", "wait", "court_after"),
        ("agencies", "start", "partners"),
        ("agencies", "challenge", "complaints"),
        ("safety_plan", "home", "threats"),
        ("safety_plan", "home", "disruption"),
        ("recording", "pass_on", "sharing_fears"),
        ("trauma", "coping", "mental_health"),
    ],
)
def test_existing_topics_lead_on_to_the_new_ones_where_they_touch_them(topic_id: str, step_id: str, target: str) -> None:
    buttons = conversation.start_topic(CONTENT, f"{topic_id}/{step_id}").messages[0].buttons
    assert conversation.open_topic_payload(target) in [b["payload"] for b in buttons]


def test_every_new_topic_is_in_the_shipped_content_and_its_unconfirmed_facts_are_listed_by_the_check() -> None:
    content, loaded = load_content(CONTENT.root)
    warned = {(f.file, f.where) for f in check_content(content, loaded, date.today()) if "needs confirming" in f.message}
    for topic_id in NEW_TOPICS:
        new = content.topics[topic_id]
        for step in new.steps:
            assert ((new.file, f'step "{step.id}"') in warned) == bool(step.needs_confirming), (topic_id, step.id)
    assert sum(bool(s.needs_confirming) for t in NEW_TOPICS for s in content.topics[t].steps) >= 25


def test_a_step_marked_needs_confirming_is_a_located_warning_and_never_an_error(tmp_path: Path) -> None:
    marked = topic(steps=[{"id": "start", "text": PLAIN, "needs_confirming": "  Check the age limit.  "}, {"id": "end", "text": PLAIN}])
    content, loaded = load_content(write_content(tmp_path, topics=[marked]))
    found = [(f.level, f.where, f.message) for f in check_content(content, loaded, date(2026, 11, 22))]
    assert found == [("warning", 'step "start"', "needs confirming: Check the age limit.")]
