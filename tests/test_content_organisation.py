"""The organisation and its team are set once (content/organisation.yml) and reach parents with a way
to contact them; lists of services show hours; a broken organisation file is located, never crashes."""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path

import pytest
import yaml

from bot import conversation
from bot.config import PROJECT_ROOT
from bot.content.check import check_content, text_blocks
from bot.content.loader import load_content
from bot.content.render import render
from bot.content.store import ContentStore
from bot.handoff import form
from tests.helpers import PLAIN, SERVICES, topic, write_content

TODAY = date(2026, 11, 22)
NO_ROUTE = 'Tap "Talk to someone" and the team can get in touch with you.'


def organisation(**team: object) -> dict:
    return {
        "organisation": {"name": "Example Trust", "website": "https://example.org", "source": ["https://example.org/a"]},
        "team": {
            "name": "Parent Team",
            "phone": "",
            "hours": "",
            "no_route": NO_ROUTE,
            "tags": ["parent"],
            "source": ["https://example.org/b"],
            "verified": date(2026, 11, 1),
            **team,
        },
    }


def content_with(tmp_path: Path, org: dict | str | None, steps: list | None = None, services: dict | None = None):
    steps = steps or [{"id": "start", "text": "The {{parent_support_team.name}} can help. {{parent_support_team.contact}} " + PLAIN}]
    root = write_content(tmp_path, topics=[topic(steps=steps)], services=services)
    if org is not None:
        text = org if isinstance(org, str) else yaml.safe_dump(org, sort_keys=False, allow_unicode=True)
        (root / "organisation.yml").write_text(text, encoding="utf-8")
    content, loaded = load_content(root)
    return content, check_content(content, loaded, TODAY)


def first_step(content) -> str:
    return conversation.start_topic(content, "grooming").messages[0].text


# ---- the shipped content ----------------------------------------------------------------------------


def test_welcome_names_the_team_and_the_charity_from_the_organisation_file() -> None:
    content = ContentStore(PROJECT_ROOT / "content").get()
    welcome = conversation.message(content, "welcome")
    assert "National Parent Support Team at Ivison Trust" in welcome.text
    assert "Pace" not in welcome.text
    assert "/talk_to_someone" in [b["payload"] for b in welcome.buttons]
    assert content.services["organisation"].file == "content/organisation.yml"
    assert content.services["organisation"].needs_confirming  # the Pace -> Ivison Trust change is not confirmed


def test_no_shipped_text_uses_the_old_name_or_types_the_team_name() -> None:
    content = ContentStore(PROJECT_ROOT / "content").get()
    for block in text_blocks(content):
        assert not re.search(r"\bPace\b", render(block.raw, content.services)), block.where
        assert "National Parent Support Team" not in block.raw, f"{block.file} {block.where}: use the reference"
    assert "parent_support_team" not in yaml.safe_load((PROJECT_ROOT / "content" / "services.yml").read_text())


def test_where_the_team_is_named_a_parent_is_told_how_to_reach_it() -> None:
    content = ContentStore(PROJECT_ROOT / "content").get()
    not_alone = conversation.start_topic(content, "self_care/not_alone").messages[0].text
    assert "National Parent Support Team" in not_alone and 'Tap "Talk to someone"' in not_alone
    listed = conversation.start_topic(content, "other").messages[0].text
    team_line = next(line for line in listed.splitlines() if "National Parent Support Team" in line)
    assert 'tap "Talk to someone"' in team_line
    consent = form.consent(content).text
    assert "National Parent Support Team" in consent


def test_shipped_lists_show_the_hours_of_every_line_with_a_number() -> None:
    content = ContentStore(PROJECT_ROOT / "content").get()
    listed = conversation.start_topic(content, "other").messages[0].text
    assert "- Samaritans" not in listed or "24 hours" in listed
    assert "- NSPCC Helpline: call 0808 800 5000 (Monday to Friday 8am to 10pm" in listed
    for step_id in ("start", "crisis", "child", "wales"):
        for line in conversation.start_topic(content, f"other/{step_id}").messages[0].text.splitlines():
            if line.startswith("- ") and re.search(r"\b(call|text) ", line):
                assert "(" in line and line.rstrip().endswith(")"), line


# ---- the route, configured or not -------------------------------------------------------------------


def test_without_a_phone_the_no_route_sentence_is_shown_and_the_check_warns(tmp_path: Path) -> None:
    content, found = content_with(tmp_path, organisation())
    assert first_step(content).startswith(f"The Parent Team can help. {NO_ROUTE}")
    warnings = [str(f) for f in found if f.level == "warning"]
    assert any("content/organisation.yml, team: the contact route is not configured" in w for w in warnings)
    assert not [f for f in found if f.is_error]


def test_with_a_phone_and_hours_the_contact_gives_both_and_the_warning_goes(tmp_path: Path) -> None:
    content, found = content_with(
        tmp_path,
        organisation(
            phone="0113 496 0000",
            hours="Monday to Friday 9am to 5pm",
            out_of_hours_phone="0113 496 0999",
            out_of_hours_hours="evenings and weekends",
            out_of_hours_area="West Yorkshire",
        ),
        steps=[{"id": "start", "text": "{{parent_support_team.contact}} " + PLAIN}, {"id": "list", "text": "{{list:parent}}"}],
    )
    assert first_step(content).startswith(
        "Call 0113 496 0000 (Monday to Friday 9am to 5pm). "
        "Out of hours in West Yorkshire, call 0113 496 0999 (evenings and weekends)."
    )
    listed = conversation.start_topic(content, "grooming/list").messages[0].text
    assert "- Parent Team: call 0113 496 0000 (Monday to Friday 9am to 5pm)" in listed
    assert "- Samaritans: call 116 123" in listed
    assert not any("route is not configured" in str(f) for f in found)


def test_a_phone_without_hours_is_warned_about_so_nobody_rings_a_closed_line(tmp_path: Path) -> None:
    _, found = content_with(tmp_path, organisation(phone="0113 496 0000"))
    assert any(f.where == "team" and 'no "hours"' in f.message for f in found)
    no_hours = {key: value for key, value in SERVICES["services"][0].items() if key != "hours"}
    services = {"services": [no_hours, SERVICES["services"][1]]}
    _, found = content_with(tmp_path / "b", organisation(), services=services)
    assert [f.where for f in found if 'no "hours"' in f.message] == ['service "emergency"']


def test_no_phone_and_no_fallback_is_an_error_and_never_a_bare_name(tmp_path: Path) -> None:
    content, found = content_with(tmp_path, organisation(no_route=""))
    errors = [str(f) for f in found if f.is_error]
    assert any("no way to reach it" in e for e in errors)
    assert any("{{parent_support_team.contact}}" in e and "no phone, text, email or website" in e for e in errors)
    # The live store refuses such an edit, so parents keep the last good wording with its route.
    steps = [{"id": "start", "text": "{{parent_support_team.contact}} " + PLAIN}]
    store_root = write_content(tmp_path / "live", topics=[topic(steps=steps)])
    path = store_root / "organisation.yml"
    path.write_text(yaml.safe_dump(organisation()), encoding="utf-8")
    store = ContentStore(store_root)
    assert first_step(store.get()).startswith(NO_ROUTE)
    path.write_text(yaml.safe_dump(organisation(no_route="")), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert first_step(store.get()).startswith(NO_ROUTE)
    assert any("parent_support_team.contact" in str(p) for p in store.last_problems)


def test_naming_the_team_without_a_way_to_reach_it_is_warned_about(tmp_path: Path) -> None:
    bare = [{"id": "start", "text": "The {{parent_support_team.name}} at {{organisation.name}} can help. " + PLAIN}]
    _, found = content_with(tmp_path, organisation(), steps=bare)
    assert any(
        f.where == 'step "start"' and "without a way to reach them" in f.message and f.level == "warning" for f in found
    )


def test_the_name_is_set_once_and_an_edit_goes_live(tmp_path: Path) -> None:
    root = write_content(tmp_path, topics=[topic(steps=[{"id": "start", "text": "From {{organisation.name}}. " + PLAIN}])])
    path = root / "organisation.yml"
    path.write_text(yaml.safe_dump(organisation()), encoding="utf-8")
    store = ContentStore(root)
    assert first_step(store.get()).startswith("From Example Trust.")
    renamed = organisation()
    renamed["organisation"]["name"] = "Renamed Trust"
    path.write_text(yaml.safe_dump(renamed), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert first_step(store.get()).startswith("From Renamed Trust.")


# ---- broken or hostile organisation files -----------------------------------------------------------


def _errors(found) -> list[str]:
    return [str(f) for f in found if f.is_error]


def test_invalid_yaml_is_located_by_line(tmp_path: Path) -> None:
    _, found = content_with(tmp_path, "organisation:\n  name: [unclosed\n")
    assert any(e.startswith("ERROR content/organisation.yml, line") for e in _errors(found))


@pytest.mark.parametrize("raw", ["- a list\n", "just words\n", "organisation: 5\nteam: []\n"])
def test_a_file_of_the_wrong_shape_is_an_error(tmp_path: Path, raw: str) -> None:
    _, found = content_with(tmp_path, raw)
    assert any(e.startswith("ERROR content/organisation.yml") for e in _errors(found))


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("Parent\u200bTeam", "invisible control characters"),
        ("Parent \u202eTeam", "invisible control characters"),
        ("x" * 81, "characters long"),
        ("{{samaritans.phone}}", "cannot use"),
        (["a", "list"], "should be text"),
        (True, "should be text"),
    ],
)
def test_odd_or_oversized_values_are_refused(tmp_path: Path, value: object, problem: str) -> None:
    _, found = content_with(tmp_path, organisation(name=value))
    assert any("content/organisation.yml, team" in e and problem in e for e in _errors(found)), _errors(found)


def test_unknown_fields_and_bad_dates_are_errors(tmp_path: Path) -> None:
    _, found = content_with(tmp_path, organisation(telephone="0113 496 0000", verified="last week"))
    errors = _errors(found)
    assert any('unknown field "telephone"' in e for e in errors)
    assert any('"verified" should be a date' in e for e in errors)


def test_the_same_id_in_services_yml_is_an_error(tmp_path: Path) -> None:
    clash = dict(SERVICES["services"][1], id="parent_support_team")
    _, found = content_with(tmp_path, organisation(), services={"services": [SERVICES["services"][0], clash]})
    assert any('service "parent_support_team"' in e and "set in content/organisation.yml" in e for e in _errors(found))


def test_a_detail_that_is_not_set_is_a_located_broken_reference(tmp_path: Path) -> None:
    steps = [{"id": "start", "text": "Call {{parent_support_team.phone}}. " + PLAIN}]
    _, found = content_with(tmp_path, organisation(), steps=steps)
    assert any('has no "phone" in organisation.yml' in e for e in _errors(found))


def test_no_organisation_file_is_fine_until_something_refers_to_it(tmp_path: Path) -> None:
    content, found = content_with(tmp_path, None, steps=[{"id": "start", "text": PLAIN}])
    assert found == [] and "organisation" not in content.services
    _, found = content_with(tmp_path / "b", None)
    assert any('no service with the id "parent_support_team"' in e for e in _errors(found))
