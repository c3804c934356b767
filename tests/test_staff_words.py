"""The staff-facing words moved last out of code (issue 14): the account and editor refusals, each staff page's
explanations, the overview charts' words and the copy button's result, all in content/staff.yml.

Each is declared (bot/content/words.py), so the content check names a missing or broken one by file and key;
reworded in a copy of content/, the change shows on the page (or the command line's output); a broken edit
keeps the last good wording.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT, load_settings
from bot.content.check import check_content
from bot.content.editing import SERVICE_FIELDS
from bot.content.loader import load_content
from bot.content.words import STAFF_PAGE_WORDS
from bot.handoff.form import REFERRAL_NEEDS
from bot.web.app import create_app
from tests.helpers import NO_NODE, SHIPPED_CONTENT_DIR, save
from tests.helpers import edit_content as edit
from tests.staff_support import PASSWORD, REF, Staff, make_staff, token_in

TODAY = date(2026, 11, 22)
STAFF_FILE = "staff.yml"


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(SHIPPED_CONTENT_DIR, tmp_path / "content"))


@pytest.fixture
async def admin(aiohttp_client, tmp_path: Path, copy: Path, monkeypatch: pytest.MonkeyPatch) -> Staff:  # noqa: ANN001
    """The staff pages on the content copy (the workspace edits it too), with one referral; not signed in."""
    monkeypatch.setenv("CONTENT_DIR", str(copy))
    monkeypatch.setenv("INSIGHT_KEY", "insight-test-key")
    staff = await make_staff(aiohttp_client, tmp_path, monkeypatch)
    save(staff.store, 0)
    return staff


def reword(copy: Path, section: str, key: str, words: str) -> None:
    edit(copy, STAFF_FILE, lambda data: data[section].update({key: words}))


def errors_for(root: Path) -> list[str]:
    content, loaded = load_content(root)
    return [str(f) for f in check_content(content, loaded, TODAY, REFERRAL_NEEDS) if f.is_error]


# ---- the check ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("section", "change", "expected"),
    [
        ("account_errors", lambda s: s.update(password_too_short="The password is too short."),
         '"account_errors", "password_too_short": these words must use {min}'),
        ("account_errors", lambda s: s.pop("account_exists"), '"account_errors": missing "account_exists"'),
        ("edit_errors", lambda s: s.update(too_long="The {box} is too long."),
         '"edit_errors", "too_long": these words must use {box}, {count}, {max}'),
        ("edit_boxes", lambda s: s.pop("needs_confirming"), '"edit_boxes": missing "needs_confirming"'),
        ("labels", lambda s: s.update(password_rule="Password (at least 12 characters)"),
         '"labels", "password_rule": these words must use {min}'),
        ("content_page", lambda s: s.update(services_intro="Every service, in services.yml."),
         '"content_page", "services_intro": these words must use {history}'),
        ("safety_page", lambda s: s.update(model_copy="Ask a developer to run {sync} and {train.__class__}."),
         '"safety_page", "model_copy": use curly brackets only around a name'),
        ("check_page", lambda s: s.update(no_broken=""), '"check_page", "no_broken": needs some words'),
        ("charts", lambda s: s.update(week_urgent="Week of {day}: {count} urgent\u202e"),
         '"charts", "week_urgent": should be one line, without invisible characters'),
        ("referral_page", lambda s: s.update(copied="x" * 201), '"referral_page", "copied": is 201 characters long'),
        ("save_refused", lambda s: s.pop("not_saved"), '"save_refused": missing "not_saved"'),
        ("insight_page", lambda s: s.update(small_counts="Small counts are hidden."),
         '"insight_page", "small_counts": these words must use {min}'),
    ],
    ids=[
        "an account refusal's placeholder", "an account refusal", "an edit refusal's placeholders", "a box's name",
        "the password rule", "a link's place", "attribute access", "an empty one", "bidi override", "oversized",
        "the refused save", "the small counts",
    ],
)
def test_a_missing_or_broken_staff_word_is_an_error_naming_the_file_and_key(copy: Path, section: str, change, expected: str) -> None:
    edit(copy, STAFF_FILE, lambda data: change(data[section]))
    errors = errors_for(copy)
    assert any(e.startswith(f"ERROR content/staff.yml, {expected}") for e in errors), errors


def test_every_box_an_edit_names_and_every_service_field_has_words() -> None:
    """The workspace names each service field in its refusals and labels it on the form: a field added to
    services.yml's editing must be worded in staff.yml too, or the check would not ask for it."""
    assert set(SERVICE_FIELDS) <= set(STAFF_PAGE_WORDS["edit_boxes"])
    assert set(SERVICE_FIELDS) <= set(STAFF_PAGE_WORDS["service_page"])


# ---- each page's explanations ------------------------------------------------------------------------------------

# what is reworded -> (page, section, key, the new words, what the page's HTML then shows).
REWORDED_PAGES = {
    "accounts intro": ("/staff/accounts", "accounts_page", "intro", "Changes here are logged.", "<p class=\"muted\">Changes here are logged.</p>"),
    "password rule": ("/staff/accounts", "labels", "password_rule", "At least {min} characters", ">At least 12 characters</label>"),
    "audit intro": ("/staff/audit", "audit_page", "intro", "Newest first; reading it is logged.", "Newest first; reading it is logged."),
    "a link inside the words, markup escaped": (
        "/staff/content/", "content_page", "services_intro", "<b>All</b> services ({history}).",
        '&lt;b&gt;All&lt;/b&gt; services (<a href="/staff/content/history?file=services.yml">history</a>).',
    ),
    "check page": ("/staff/content/check", "check_page", "same_check", "Programmers run it too: {command}.",
                   "Programmers run it too: <code>make content-check</code>."),
    "reading ease": ("/staff/content/check", "check_page", "reading_help", "Aim for {min} or more.", "Aim for 60 or more."),
    "history": ("/staff/content/history?file=topics/grooming.yml", "history_page", "in_use", "Live now", "<strong>Live now</strong>"),
    "preview": ("/staff/content/topics/grooming", "preview_page", "phone", "On a phone", "<figcaption>On a phone</figcaption>"),
    "step hint": ("/staff/content/topics/grooming/steps/start", "step_page", "hint", "Write services as {example}.",
                  "Write services as {{samaritans.phone}}."),
    "service label": ("/staff/content/services/samaritans", "service_page", "verified", "Checked on",
                      '<label for="f-verified">Checked on (the date'),
    "safety page": ("/staff/content/safety", "safety_page", "model_copy", "Run {sync}, then {train}.",
                    "Run <code>make sync-domain</code>, then <code>make train</code>."),
    "insight": ("/staff/content/insight", "insight_page", "small_counts", "Under {min}: not told exactly.", "Under 5: not told exactly."),
    "referral": (f"/staff/referrals/{REF}", "referral_page", "nobody", "no one yet", "Assigned to no one yet"),
    "copy button": (f"/staff/referrals/{REF}", "referral_page", "copied", "In the clipboard.", 'data-copied="In the clipboard."'),
    "chart tooltip": ("/staff/overview", "charts", "week_standard", "{count} standard in the week of {day}",
                      "<title>1 standard in the week of 16 Nov</title>"),
    "chart dates": ("/staff/overview", "charts", "week_date", "{month} {day}, {year}", "<td>Nov 16, 2026</td>"),
}


@pytest.mark.parametrize(("path", "section", "key", "words", "shown"), REWORDED_PAGES.values(), ids=REWORDED_PAGES.keys())
async def test_a_reworded_explanation_shows_on_its_page(
    admin: Staff, copy: Path, path: str, section: str, key: str, words: str, shown: str
) -> None:
    await admin.sign_in("root")
    before = await (await admin.client.get(path)).text()
    assert shown not in before
    reword(copy, section, key, words)
    response = await admin.client.get(path)
    assert response.status == 200
    assert shown in await response.text()


async def test_the_shipped_words_read_as_the_pages_did(admin: Staff) -> None:
    await admin.sign_in("root")
    check = await (await admin.client.get("/staff/content/check")).text()
    assert "The same check programmers run (<code>make content-check</code>)." in check
    assert "Flesch reading ease: 60 or more is plain English; under 60 is an error." in check
    home = await (await admin.client.get("/staff/content/")).text()
    assert 'Every phone number and service, in services.yml (<a href="/staff/content/history?file=services.yml">history</a>).' in home
    overview = await (await admin.client.get("/staff/overview")).text()
    assert "<title>Week of 16 Nov: 1 standard</title>" in overview and "<td>16 Nov 2026</td>" in overview
    referral = await (await admin.client.get(f"/staff/referrals/{REF}")).text()
    assert "Assigned to nobody yet" in referral and 'data-copied="Copied. Paste it into the case system."' in referral


async def test_the_sign_in_page_is_worded_from_staff_yml(admin: Staff, copy: Path) -> None:
    assert "Everything you open here is recorded." in await (await admin.client.get("/staff/login")).text()
    edit(copy, STAFF_FILE, lambda d: d["login_page"].update(recorded="All you open is logged.", for_team="Team: {team}."))
    page = await (await admin.client.get("/staff/login")).text()
    assert "All you open is logged." in page and "Everything you open here" not in page
    assert re.search(r"<p>Team: [^<]+\. All you open is logged\.</p>", page)


async def test_a_broken_edit_of_a_pages_words_keeps_the_last_good_wording(admin: Staff, copy: Path) -> None:
    await admin.sign_in("root")
    reword(copy, "check_page", "same_check", "Programmers run it too: {command}.")
    assert "Programmers run it too" in await (await admin.client.get("/staff/content/check")).text()
    reword(copy, "check_page", "same_check", "Programmers run it too.")  # {command} dropped
    assert "Programmers run it too: <code>make content-check</code>." in await (await admin.client.get("/staff/content/check")).text()
    edit(copy, STAFF_FILE, lambda d: d.pop("charts"))
    overview = await (await admin.client.get("/staff/overview")).text()
    assert "<title>Week of 16 Nov: 1 standard</title>" in overview


async def test_markup_in_the_words_of_a_page_is_shown_as_text(admin: Staff, copy: Path) -> None:
    await admin.sign_in("root")
    hostile = '<script>alert(1)</script> "quoted" & more'
    edit(copy, STAFF_FILE, lambda d: (d["history_page"].update(intro=hostile), d["referral_page"].update(copied=hostile),
                                      d["content_page"].update(safety_line=hostile + " {link}")))
    history = await (await admin.client.get("/staff/content/history?file=topics/grooming.yml")).text()
    referral = await (await admin.client.get(f"/staff/referrals/{REF}")).text()
    home = await (await admin.client.get("/staff/content/")).text()
    for page in (history, referral, home):
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &#34;quoted&#34; &amp; more" in page
    assert '<a href="/staff/content/safety">' in home  # the link the template made is still a link


# ---- the refusals on the pages -----------------------------------------------------------------------------------


async def test_a_reworded_account_refusal_shows_on_the_accounts_page(admin: Staff, copy: Path) -> None:
    token = await admin.sign_in("root")
    short = await admin.client.post("/staff/accounts", data={"username": "bob", "password": "short", "role": "staff", "csrf_token": token})
    assert "No account was added: The password must be at least 12 characters long." in await short.text()
    edit(copy, STAFF_FILE, lambda d: d["account_errors"].update(password_too_short="Use {min} characters or more.",
                                                                account_exists="{name} is taken."))
    short = await admin.client.post("/staff/accounts", data={"username": "bob", "password": "short", "role": "staff", "csrf_token": token})
    assert "No account was added: Use 12 characters or more." in await short.text()
    taken = await admin.client.post("/staff/accounts", data={"username": "Alice", "password": PASSWORD, "role": "staff", "csrf_token": token})
    assert "No account was added: alice is taken." in await taken.text()
    reset = await admin.client.post("/staff/accounts/alice/password", data={"password": "tiny", "csrf_token": token})
    assert "The password was not changed: Use 12 characters or more." in await reset.text()
    edit(copy, STAFF_FILE, lambda d: d["account_errors"].update(password_too_short="Too short."))  # {min} dropped
    short = await admin.client.post("/staff/accounts", data={"username": "bob", "password": "short", "role": "staff", "csrf_token": token})
    assert "No account was added: Use 12 characters or more." in await short.text()  # the last good wording
    assert admin.ctx.repo().accounts.get("bob") is None


async def step_form(staff: Staff) -> tuple[str, str]:
    page = await (await staff.client.get("/staff/content/topics/grooming/steps/start")).text()
    return token_in(page), re.search(r'name="base" value="([0-9a-f]{64})"', page).group(1)


async def test_a_reworded_edit_refusal_names_the_box_in_the_words_of_staff_yml(admin: Staff, copy: Path) -> None:
    await admin.sign_in("root")
    token, base = await step_form(admin)
    long_text = "word " * 2000
    most = admin.ctx.settings.editor_max_text_chars
    form = {"csrf_token": token, "base": base, "text": long_text, "more": ""}
    page = await (await admin.client.post("/staff/content/topics/grooming/steps/start", data=form)).text()
    assert f"The step&#39;s text is 9999 characters long; at most {most} fit in one box." in page

    def change(data: dict) -> None:
        data["edit_errors"].update(too_long="Too long for the {box}: {count} of at most {max}.", invisible="Retype the {box}.")
        data["edit_boxes"].update(step_text="main box", step_more="extra box")
        data["save_refused"].update(not_saved="Nothing saved.")

    edit(copy, STAFF_FILE, change)
    token, base = await step_form(admin)
    response = await admin.client.post("/staff/content/topics/grooming/steps/start", data={**form, "csrf_token": token, "base": base})
    page = await response.text()
    assert response.status == 422
    assert f"Too long for the main box: 9999 of at most {most}." in page and "<strong>Nothing saved.</strong>" in page
    hidden = {"csrf_token": token, "base": base, "text": "You are not to blame.", "more": "Call\u202e us"}
    assert "Retype the extra box." in await (await admin.client.post("/staff/content/topics/grooming/steps/start", data=hidden)).text()


async def test_the_services_and_history_refusals_are_worded_from_staff_yml(admin: Staff, copy: Path) -> None:
    await admin.sign_in("root")
    edit(copy, STAFF_FILE, lambda d: d["edit_errors"].update(verified_date="Write the date like 2026-12-01.",
                                                             not_a_file="Not one of the content files."))
    page = await (await admin.client.get("/staff/content/services/samaritans")).text()
    base = re.search(r'name="base" value="([0-9a-f]{64})"', page).group(1)
    values = dict(re.findall(r'<input id="f-[a-z_]+" name="([a-z_]+)" value="([^"]*)"', page))
    form = {**values, "about": "A helpline.", "needs_confirming": "", "verified": "1st December", "csrf_token": token_in(page), "base": base}
    refused = await admin.client.post("/staff/content/services/samaritans", data=form)
    assert refused.status == 422 and "Write the date like 2026-12-01." in await refused.text()
    for forged in ("../../etc/passwd.yml", "topics/.hidden.yml", "/etc/hosts", "topics\\x.yml"):
        missing = await admin.client.get("/staff/content/history", params={"file": forged})
        assert missing.status == 404 and "Not one of the content files." in await missing.text(), forged


# ---- the copy button, run in Node ---------------------------------------------------------------------------------

COPY_HARNESS = r"""
const attributes = {"data-copy": "case-summary", "data-copied": process.argv[2], "data-not-copied": process.argv[3]};
let click = null;
const button = {hidden: true, getAttribute: (name) => attributes[name], addEventListener: (_, f) => { click = f; }};
const result = {textContent: ""};
const box = {value: "the summary", focus() {}, select() {}};
global.document = {
  getElementById: (id) => ({"copy-summary": button, "case-summary": box, "copy-result": result})[id],
  execCommand: () => process.argv[4] === "ok",
};
global.navigator = {};
global.window = {isSecureContext: false};
require(process.argv[1]);
click();
process.stdout.write(JSON.stringify({hidden: button.hidden, said: result.textContent}));
"""


@pytest.mark.skipif(NO_NODE, reason="needs Node.js to run the copy button's script (the browser tests run it too)")
@pytest.mark.parametrize(("outcome", "said"), [("ok", "In the clipboard <b>now</b>"), ("fails", "Copy it by hand")])
def test_the_copy_button_says_the_words_the_page_gave_it(outcome: str, said: str) -> None:
    script = PROJECT_ROOT / "bot" / "web" / "staff" / "static" / "copy.js"
    run = subprocess.run(
        ["node", "-e", COPY_HARNESS, str(script), "In the clipboard <b>now</b>", "Copy it by hand", outcome],
        capture_output=True, text=True, check=True, timeout=60,
    )
    assert json.loads(run.stdout) == {"hidden": False, "said": said}  # as text (textContent), never markup


async def test_why_the_referrals_cannot_be_opened_is_worded_from_staff_yml(
    aiohttp_client, tmp_path: Path, copy: Path, monkeypatch: pytest.MonkeyPatch  # noqa: ANN001
) -> None:
    reword(copy, "errors", "cannot_open_referrals", "Referrals are locked away: {reason}")
    monkeypatch.setenv("CONTENT_DIR", str(copy))
    monkeypatch.setenv("DATA_ENCRYPTION_KEYS", "")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'none.db'}")
    client = await aiohttp_client(create_app(load_settings(env_file=None)))
    response = await client.get("/staff/login")
    text = await response.text()
    assert response.status == 503 and "Referrals are locked away: " in text and "DATA_ENCRYPTION_KEYS is not set" in text
