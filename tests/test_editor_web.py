"""The content editors' workspace through aiohttp's test client, on a copy of the shipped content: roles,
refusals (no session, wrong role, CSRF, hostile input), edits checked before saving, versions and restore,
hand edits in the history, the safety files for admins only, and the insight page's small counts."""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from argon2 import PasswordHasher
from cryptography.fernet import Fernet
from sqlalchemy import select

from bot.accounts.staff import Passwords, add_account
from bot.config import load_settings
from bot.content.store import ContentStore
from bot.storage.content_versions import ContentVersions
from bot.storage.crypto import Cipher, generate_key
from bot.storage.insight import InsightStore
from bot.storage.models import AuditLog
from bot.storage.repository import ReferralStore, make_engine
from bot.storage.staff_repository import StaffRepository
from bot.web.app import create_app
from bot.web.staff import STAFF, StaffContext
from tests.helpers import NOW, SHIPPED_CONTENT_DIR, Clock, migrated_sqlite

PASSWORD = "a long enough password"
HOSTILE = "<script>alert(1)</script>"
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
TOPIC_FILE = "topics/grooming.yml"


@dataclass
class Workspace:
    client: TestClient
    ctx: StaffContext
    store: ReferralStore
    content: Path

    async def sign_in(self, username: str) -> str:
        page = await self.client.get("/staff/login")
        token = token_in(await page.text())
        response = await self.client.post(
            "/staff/login", data={"username": username, "password": PASSWORD, "csrf_token": token}, allow_redirects=False
        )
        assert response.status == 303, await response.text()
        # the token from a light page each role may open (the content page also records every file's version)
        landing = "/staff/content/topics/grooming" if username != "alice" else "/staff/"
        return token_in(await (await self.client.get(landing)).text())

    def audit(self, action: str) -> list[tuple[str, str | None]]:
        with self.store.engine.connect() as connection:
            rows = connection.execute(select(AuditLog.actor, AuditLog.detail).where(AuditLog.action == action))
            return [tuple(row) for row in rows]

    def text(self, relative: str) -> str:
        return (self.content / relative).read_text(encoding="utf-8")


def token_in(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def base_in(page: str) -> str:
    match = re.search(r'name="base" value="([0-9a-f]{64})"', page)
    assert match, "no base on the form"
    return match.group(1)


@pytest.fixture
async def ws(aiohttp_client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Workspace]:
    content = tmp_path / "content"
    shutil.copytree(SHIPPED_CONTENT_DIR, content)
    monkeypatch.setenv("STAFF_SESSION_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("CONTENT_DIR", str(content))
    monkeypatch.setenv("INSIGHT_KEY", "insight-test-key")
    url = migrated_sqlite(tmp_path / "staff.db")
    app = create_app(load_settings(env_file=None))
    ctx = app[STAFF]
    ctx.clock = Clock(NOW)
    ctx.passwords = Passwords(CHEAP_HASHER)
    store = ReferralStore(make_engine(url), Cipher([generate_key()]), clock=ctx.clock)
    ctx.repository = StaffRepository(store, clock=ctx.now)
    for name, role in (("alice", "staff"), ("eddie", "editor"), ("root", "admin")):
        add_account(ctx.repository.accounts, ctx.passwords, name, PASSWORD, role, actor="test")
    yield Workspace(await aiohttp_client(app), ctx, store, content)


PAGES = {  # path -> roles that may open it
    "/staff/content/": {"editor", "admin"},
    "/staff/content/check": {"editor", "admin"},
    "/staff/content/insight": {"editor", "admin"},
    f"/staff/content/history?file={TOPIC_FILE}": {"editor", "admin"},
    "/staff/content/topics/grooming": {"editor", "admin"},
    "/staff/content/topics/grooming/steps/start": {"editor", "admin"},
    "/staff/content/services/samaritans": {"editor", "admin"},
    "/staff/content/safety": {"admin"},
    "/staff/accounts": {"admin"},
}
FORMS = {  # path -> (form, roles)
    "/staff/content/topics/grooming/steps/start": ({"text": "changed", "more": ""}, {"editor", "admin"}),
    "/staff/content/services/samaritans": ({"name": "Samaritans", "about": "x"}, {"editor", "admin"}),
    "/staff/content/restore": ({"version": "1"}, {"editor", "admin"}),
    "/staff/content/safety/messages/safety_danger_now": ({"text": "changed"}, {"admin"}),
    "/staff/content/safety/lexicon": ({"lexicon": "types: {}"}, {"admin"}),
    "/staff/accounts": ({"username": "newbie", "password": PASSWORD, "role": "staff"}, {"admin"}),
    "/staff/accounts/alice/role": ({"role": "admin"}, {"admin"}),
    "/staff/accounts/alice/active": ({"active": "no"}, {"admin"}),
    "/staff/accounts/alice/password": ({"password": "another long password"}, {"admin"}),
}
ROLE_OF = {"alice": "staff", "eddie": "editor", "root": "admin"}


def test_every_workspace_route_is_covered_by_these_tests() -> None:
    app = create_app(load_settings(env_file=None))
    routes = {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None
        and route.resource.canonical.startswith(("/staff/content", "/staff/accounts"))
        and route.method != "HEAD"
    }
    known = {("GET", p.partition("?")[0]) for p in PAGES} | {("POST", p) for p in FORMS}
    canonical = {
        (m, p.replace("/grooming/steps/start", "/{topic}/steps/{step}").replace("/grooming", "/{topic}")
         .replace("/samaritans", "/{service}").replace("/safety_danger_now", "/{message}").replace("/alice/", "/{username}/"))
        for m, p in known
    }
    assert routes == canonical


@pytest.mark.parametrize("path", PAGES)
async def test_pages_send_you_to_sign_in_first(ws: Workspace, path: str) -> None:
    response = await ws.client.get(path, allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/staff/login"


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("username", ["alice", "eddie", "root"])
async def test_each_page_opens_for_its_roles_only(ws: Workspace, path: str, username: str) -> None:
    await ws.sign_in(username)
    response = await ws.client.get(path, allow_redirects=False)
    if ROLE_OF[username] in PAGES[path]:
        assert response.status == 200, await response.text()
    else:
        assert response.status == 403
        assert "role does not give access" in await response.text()


@pytest.mark.parametrize(("path", "spec"), FORMS.items())
@pytest.mark.parametrize("username", ["alice", "eddie"])
async def test_forms_refuse_the_wrong_role_and_change_nothing(ws: Workspace, path: str, spec: Any, username: str) -> None:
    form, roles = spec
    if ROLE_OF[username] in roles:
        pytest.skip("this role may use this form")
    token = await ws.sign_in(username)
    before = {p: ws.text(p) for p in ("messages.yml", "safety/lexicon.yml", TOPIC_FILE, "services.yml")}
    response = await ws.client.post(path, data={**form, "csrf_token": token}, allow_redirects=False)
    assert response.status == 403
    assert {p: ws.text(p) for p in before} == before
    assert ws.ctx.repository.accounts.get("alice").role == "staff" and ws.ctx.repository.accounts.get("alice").active


@pytest.mark.parametrize(("path", "spec"), FORMS.items())
async def test_forms_do_nothing_without_a_session(ws: Workspace, path: str, spec: Any) -> None:
    token = token_in(await (await ws.client.get("/staff/login")).text())
    response = await ws.client.post(path, data={**spec[0], "csrf_token": token}, allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/staff/login"
    assert ws.ctx.repository.accounts.get("newbie") is None


@pytest.mark.parametrize(("path", "spec"), FORMS.items())
@pytest.mark.parametrize("token", [None, "forged-token"])
async def test_every_form_refuses_a_missing_or_wrong_csrf_token(ws: Workspace, path: str, spec: Any, token) -> None:
    await ws.sign_in("root")
    before = ws.text(TOPIC_FILE), ws.text("messages.yml"), ws.text("safety/lexicon.yml")
    data = dict(spec[0]) if token is None else {**spec[0], "csrf_token": token}
    response = await ws.client.post(path, data=data, allow_redirects=False)
    assert response.status == 403 and "reload the page" in await response.text()
    assert (ws.text(TOPIC_FILE), ws.text("messages.yml"), ws.text("safety/lexicon.yml")) == before
    assert ws.ctx.repository.accounts.get("newbie") is None


async def test_an_editor_lands_on_the_content_and_never_sees_referrals(ws: Workspace) -> None:
    await ws.sign_in("eddie")
    response = await ws.client.get("/staff/", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/staff/content/"
    for path in ("/staff/overview", "/staff/referrals/ACDE-AAGH", "/staff/audit"):
        assert (await ws.client.get(path, allow_redirects=False)).status == 403
    assert (await ws.client.get("/staff/api/queue")).status == 403
    page = await (await ws.client.get("/staff/content/")).text()
    assert "Queue" not in page and "Accounts" not in page and "Content" in page


# -- preview ------------------------------------------------------------------------------------------------


async def test_the_preview_shows_each_step_with_the_widgets_buttons_and_services_filled_in(ws: Workspace) -> None:
    await ws.sign_in("eddie")
    page = await (await ws.client.get("/staff/content/topics/missing")).text()
    topic = ContentStore(ws.content).get().topics["missing"]
    assert page.count('class="frame frame-phone"') == len(topic.steps) == page.count('class="frame frame-desktop"')
    assert 'href="/widget/widget.css"' in page and 'class="psa-msg psa-msg--bot"' in page
    assert "{{" not in page  # every service reference is filled in
    assert "Tell me more" in page and "I need help now" in page and "Back to topics" in page
    assert "999" in page  # the missing topic gives the emergency number, from services.yml


async def test_an_unknown_topic_or_step_is_a_404(ws: Workspace) -> None:
    await ws.sign_in("eddie")
    for path in ("/staff/content/topics/nope", "/staff/content/topics/grooming/steps/nope", "/staff/content/services/nope"):
        assert (await ws.client.get(path)).status == 404


# -- check --------------------------------------------------------------------------------------------------


async def test_the_check_page_names_findings_scores_due_services_and_broken_links(ws: Workspace) -> None:
    path = ws.content / TOPIC_FILE
    path.write_text(path.read_text().replace("goto: signs", "goto: no_such_topic", 1) if "goto: signs" in path.read_text()
                    else path.read_text() + "", encoding="utf-8")
    await ws.sign_in("eddie")
    page = await (await ws.client.get("/staff/content/check")).text()
    assert "Reading ease of each step" in page and "topics/grooming.yml" in page
    assert "needs confirming" in page  # services copied from the fact sheet are due for checking
    assert 'step &#34;start&#34;' in page or 'step &quot;start&quot;' in page or "step \"start\"" in page


# -- editing ------------------------------------------------------------------------------------------------


async def step_form(ws: Workspace, topic: str = "grooming", step: str = "start") -> tuple[str, str]:
    page = await (await ws.client.get(f"/staff/content/topics/{topic}/steps/{step}")).text()
    return token_in(page), base_in(page)


async def test_a_good_edit_is_saved_to_the_file_kept_as_a_version_and_audited(ws: Workspace) -> None:
    await ws.sign_in("eddie")
    token, base = await step_form(ws)
    old_file = ws.text(TOPIC_FILE)
    new_text = "You are not to blame. The person who hurt your child is to blame. We can go through this together, step by step."
    response = await ws.client.post(
        "/staff/content/topics/grooming/steps/start",
        data={"csrf_token": token, "base": base, "text": new_text, "more": ""},
        allow_redirects=False,
    )
    assert response.status == 303, await response.text()
    assert ContentStore(ws.content).get().topics["grooming"].steps[0].text == new_text
    assert ws.text(TOPIC_FILE).startswith(old_file.split("steps:")[0])  # the comments at the top are kept
    assert ws.audit("content_saved") == [("eddie", 'topics/grooming.yml: step "start": text and tell me more')]
    history = await (await ws.client.get(f"/staff/content/history?file={TOPIC_FILE}")).text()
    assert "In use now" in history and "eddie" in history and 'class="diff-add"' in history
    assert not list(ws.content.rglob(".*.tmp"))  # the temporary file was renamed into place


async def test_a_content_folder_that_cannot_be_written_is_said_plainly_and_nothing_changes(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno
    import os

    await ws.sign_in("eddie")
    token, base = await step_form(ws)
    before = ws.text(TOPIC_FILE)

    def read_only(*args: object, **kwargs: object) -> None:  # what a read-only file system answers (root ignores chmod)
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(os, "replace", read_only)
    response = await ws.client.post(
        "/staff/content/topics/grooming/steps/start",
        data={"csrf_token": token, "base": base, "text": "You are not to blame, and nor is your child.", "more": ""},
    )
    page = await response.text()
    assert response.status == 422
    assert "could not be written" in page and "nothing was saved" in page
    assert ws.text(TOPIC_FILE) == before and not list(ws.content.rglob(".*.tmp"))
    assert ws.audit("content_saved") == []


BROKEN_EDITS = {
    "a typed-in phone number": "Call 0800 123 4567 to talk to someone about what has happened to your child today.",
    "a service that does not exist": "Talk to {{nobody.phone}} about what has happened. You are not to blame for this.",
    "hard words": "Notwithstanding institutional considerations, multidisciplinary safeguarding interventions necessitate comprehensive interagency documentation procedures, organisational authorisation and evidential substantiation.",
    "empty text": "   ",
    "invisible characters": "You are not\u202e to blame.",
    "too long": "word " * 2000,
}


@pytest.mark.parametrize("text", BROKEN_EDITS.values(), ids=BROKEN_EDITS.keys())
async def test_a_broken_edit_is_refused_with_the_reason_and_the_live_content_is_unchanged(ws: Workspace, text: str) -> None:
    await ws.sign_in("eddie")
    token, base = await step_form(ws)
    before = ws.text(TOPIC_FILE)
    live_before = ContentStore(ws.content).get().topics["grooming"].steps[0].text
    response = await ws.client.post(
        "/staff/content/topics/grooming/steps/start", data={"csrf_token": token, "base": base, "text": text, "more": ""}
    )
    page = await response.text()
    assert response.status == 422
    assert "Not saved." in page and "The live content has not changed." in page
    assert ws.text(TOPIC_FILE) == before
    assert ContentStore(ws.content).get().topics["grooming"].steps[0].text == live_before
    assert ws.audit("content_saved") == []


async def test_the_reason_for_a_refusal_is_in_plain_words(ws: Workspace) -> None:
    await ws.sign_in("eddie")
    token, base = await step_form(ws)
    page = await (await ws.client.post(
        "/staff/content/topics/grooming/steps/start",
        data={"csrf_token": token, "base": base, "text": BROKEN_EDITS["a typed-in phone number"], "more": ""},
    )).text()
    assert "is typed into the text; refer to services.yml instead" in page


async def test_a_form_opened_before_someone_elses_save_is_refused(ws: Workspace) -> None:
    await ws.sign_in("eddie")
    token, base = await step_form(ws)
    path = ws.content / TOPIC_FILE
    path.write_text(path.read_text() + "\n# a programmer's note\n", encoding="utf-8")
    response = await ws.client.post(
        "/staff/content/topics/grooming/steps/start",
        data={"csrf_token": token, "base": base, "text": "You are not to blame.", "more": ""},
    )
    assert response.status == 422 and "has changed since you opened this page" in await response.text()
    assert ws.text(TOPIC_FILE).endswith("# a programmer's note\n")


async def test_markup_in_an_edit_is_escaped_everywhere(ws: Workspace) -> None:
    await ws.sign_in("eddie")
    token, base = await step_form(ws)
    await ws.client.post(
        "/staff/content/topics/grooming/steps/start",
        data={"csrf_token": token, "base": base, "text": f"You are not to blame for this. {HOSTILE} We can go through it.", "more": ""},
    )
    for path in ("/staff/content/topics/grooming", f"/staff/content/history?file={TOPIC_FILE}",
                 "/staff/content/topics/grooming/steps/start"):
        page = await (await ws.client.get(path)).text()
        assert HOSTILE not in page and "&lt;script&gt;" in page


async def test_a_hand_edit_shows_up_in_the_history_and_any_version_can_be_restored(ws: Workspace) -> None:
    await ws.sign_in("eddie")
    original = ws.text(TOPIC_FILE)
    await ws.client.get(f"/staff/content/history?file={TOPIC_FILE}")  # records the file as first seen
    path = ws.content / TOPIC_FILE
    path.write_text(original.replace("builds trust with a child", "gains the trust of a child", 1), encoding="utf-8")
    page = await (await ws.client.get(f"/staff/content/history?file={TOPIC_FILE}")).text()
    assert "found on disk: changed outside the workspace" in page and "gains the trust of a child" in page
    first = int(re.findall(r'name="version" value="(\d+)"', page)[-1])
    response = await ws.client.post(
        "/staff/content/restore", data={"csrf_token": token_in(page), "version": str(first)}, allow_redirects=False
    )
    assert response.status == 303
    assert ws.text(TOPIC_FILE) == original
    assert ws.audit("content_restored") == [("eddie", f"{TOPIC_FILE}: version {first}")]


async def test_the_content_page_records_each_file_once_and_then_only_a_file_changed_by_hand(ws: Workspace) -> None:
    versions = ContentVersions(ws.store.engine)
    await ws.sign_in("eddie")
    await ws.client.get("/staff/content/")
    first = versions.files_with_history()
    assert TOPIC_FILE in first and "services.yml" in first and set(first.values()) == {1}
    assert versions.latest(TOPIC_FILE).detail == "first seen"
    await ws.client.get("/staff/content/")
    assert versions.files_with_history() == first  # nothing changed, nothing recorded
    path = ws.content / TOPIC_FILE
    path.write_text(ws.text(TOPIC_FILE).replace("builds trust with a child", "gains the trust of a child", 1), encoding="utf-8")
    await ws.client.get("/staff/content/")
    assert versions.files_with_history() == {**first, TOPIC_FILE: 2}
    latest = versions.latest(TOPIC_FILE)
    assert (latest.kind, latest.detail) == ("on_disk", "changed outside the workspace") and "gains the trust" in latest.body


async def test_a_service_edit_is_checked_and_saved(ws: Workspace) -> None:
    await ws.sign_in("eddie")
    page = await (await ws.client.get("/staff/content/services/samaritans")).text()
    token, base = token_in(page), base_in(page)
    form = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page))
    form.update(csrf_token=token, base=base, hours="every day, 24 hours")
    form["about"] = re.search(r'name="about" rows="3">([^<]*)</textarea>', page).group(1)
    form["needs_confirming"] = re.search(r'name="needs_confirming" rows="3">([^<]*)</textarea>', page).group(1)
    response = await ws.client.post("/staff/content/services/samaritans", data=form, allow_redirects=False)
    assert response.status == 303, await response.text()
    assert ContentStore(ws.content).get().services["samaritans"].details["hours"] == "every day, 24 hours"
    form.update(base=base_in(await (await ws.client.get("/staff/content/services/samaritans")).text()), phone="")
    response = await ws.client.post("/staff/content/services/samaritans", data=form)
    assert response.status == 422  # the topics give {{samaritans.phone}}: removing it breaks them
    assert ContentStore(ws.content).get().services["samaritans"].details["phone"] == "116 123"


# -- safety replies and the lexicon ---------------------------------------------------------------------------


async def test_an_admin_can_reword_a_safety_reply_but_not_drop_its_number(ws: Workspace) -> None:
    await ws.sign_in("root")
    page = await (await ws.client.get("/staff/content/safety")).text()
    token, base = token_in(page), base_in(page)
    before = ws.text("messages.yml")
    response = await ws.client.post(
        "/staff/content/safety/messages/safety_danger_now",
        data={"csrf_token": token, "base": base, "text": "If someone is in danger now, please get help straight away."},
    )
    assert response.status == 422 and "a safety reply must keep what it gives" in await response.text()
    assert ws.text("messages.yml") == before


async def test_a_lexicon_that_loses_a_kind_of_danger_is_refused(ws: Workspace) -> None:
    await ws.sign_in("root")
    page = await (await ws.client.get("/staff/content/safety")).text()
    lexicon = ws.text("safety/lexicon.yml")
    base = re.findall(r'name="base" value="([0-9a-f]{64})"', page)[-1]
    for broken in ("types: [unclosed", "types: {}\n"):
        response = await ws.client.post(
            "/staff/content/safety/lexicon", data={"csrf_token": token_in(page), "base": base, "lexicon": broken}
        )
        assert response.status == 422
        assert ws.text("safety/lexicon.yml") == lexicon
    assert ws.audit("content_saved") == []


async def test_an_admins_lexicon_change_is_saved_and_audited(ws: Workspace) -> None:
    await ws.sign_in("root")
    page = await (await ws.client.get("/staff/content/safety")).text()
    base = re.findall(r'name="base" value="([0-9a-f]{64})"', page)[-1]
    changed = ws.text("safety/lexicon.yml") + "# reviewed by root\n"
    response = await ws.client.post(
        "/staff/content/safety/lexicon", data={"csrf_token": token_in(page), "base": base, "lexicon": changed},
        allow_redirects=False,
    )
    assert response.status == 303, await response.text()
    assert ws.text("safety/lexicon.yml") == changed
    assert ws.audit("content_saved") == [("root", "safety/lexicon.yml: the lexicon")]


async def test_an_editor_cannot_restore_a_safety_file(ws: Workspace) -> None:
    token = await ws.sign_in("eddie")
    assert (await ws.client.get("/staff/content/")).status == 200  # the content page records every file's first version
    version = ContentVersions(ws.store.engine).latest("messages.yml")
    (ws.content / "messages.yml").write_text(ws.text("messages.yml") + "# changed by hand\n", encoding="utf-8")
    response = await ws.client.post("/staff/content/restore", data={"csrf_token": token, "version": str(version.id)})
    assert response.status == 403 and "Only admins" in await response.text()
    assert ws.text("messages.yml").endswith("# changed by hand\n")


@pytest.mark.parametrize("file", ["../.env", "/etc/passwd", "topics/../../x.yml", ".hidden.yml", "nope.yml", "a\0b.yml"])
async def test_history_refuses_paths_outside_the_content_folder(ws: Workspace, file: str) -> None:
    await ws.sign_in("eddie")
    assert (await ws.client.get("/staff/content/history", params={"file": file})).status == 404


async def test_an_oversized_body_is_refused(ws: Workspace) -> None:
    token = await ws.sign_in("eddie")
    _, base = await step_form(ws)
    response = await ws.client.post(
        "/staff/content/topics/grooming/steps/start",
        data={"csrf_token": token, "base": base, "text": "x" * 3_000_000, "more": ""},
    )
    assert response.status == 413


# -- accounts ------------------------------------------------------------------------------------------------


async def test_an_admin_adds_an_editor_changes_roles_and_every_change_is_audited(ws: Workspace) -> None:
    token = await ws.sign_in("root")
    response = await ws.client.post(
        "/staff/accounts", data={"csrf_token": token, "username": "Ed.Two", "password": PASSWORD, "role": "editor"}
    )
    assert response.status == 200 and "Account ed.two added (editor)" in await response.text()
    await ws.client.post("/staff/accounts/alice/role", data={"csrf_token": token, "role": "editor"})
    await ws.client.post("/staff/accounts/alice/active", data={"csrf_token": token, "active": "no"})
    page = await (await ws.client.post("/staff/accounts/root/role", data={"csrf_token": token, "role": "staff"})).text()
    assert "cannot take away your own admin role" in page
    accounts = ws.ctx.repository.accounts
    assert accounts.get("ed.two").role == "editor" and accounts.get("alice").role == "editor"
    assert not accounts.get("alice").active and accounts.get("root").role == "admin"
    assert ("root", "ed.two role=editor") in ws.audit("staff_added")
    assert ws.audit("role_change") == [("root", "alice: staff -> editor")]
    assert ws.audit("staff_disabled") == [("root", "alice")]


@pytest.mark.parametrize(
    "form",
    [
        {"username": HOSTILE, "password": PASSWORD, "role": "editor"},
        {"username": "okname", "password": "short", "role": "editor"},
        {"username": "okname", "password": PASSWORD, "role": "superuser"},
        {"username": "root", "password": PASSWORD, "role": "staff"},
    ],
)
async def test_a_bad_account_is_refused(ws: Workspace, form: dict) -> None:
    token = await ws.sign_in("root")
    response = await ws.client.post("/staff/accounts", data={"csrf_token": token, **form})
    page = await response.text()
    assert response.status in (200, 400) and HOSTILE not in page
    assert ws.ctx.repository.accounts.get("okname") is None and ws.ctx.repository.accounts.get("root").role == "admin"


# -- insight -------------------------------------------------------------------------------------------------


async def test_the_insight_page_hides_small_counts(ws: Workspace) -> None:
    store = InsightStore(ws.store.engine, "insight-test-key")
    day = NOW.date()
    for n in range(7):
        store.record("opened", "grooming", "", conversation=f"c{n}", day=day)
    for n in range(3):
        store.record("opened", "missing", "", conversation=f"c{n}", day=day)
    store.record("opened", "grooming", "", conversation="c0", day=day - timedelta(days=40))
    await ws.sign_in("eddie")
    page = await (await ws.client.get("/staff/content/insight?days=30")).text()
    grooming = re.search(r'data-topic="grooming">.*?class="opened">([^<]+)<', page, re.S).group(1)
    missing = re.search(r'data-topic="missing">.*?class="opened">([^<]+)<', page, re.S).group(1)
    assert (grooming, missing) == ("7", "fewer than 5")
    page = await (await ws.client.get("/staff/content/insight?days=90")).text()
    assert re.search(r'data-topic="grooming">.*?class="opened">([^<]+)<', page, re.S).group(1) == "8"
    assert (await ws.client.get("/staff/content/insight?days=nonsense")).status == 200
