"""The staff review pages through aiohttp's test client: every route refuses without a session and every
form without its CSRF token, sign-in throttling (never a lock-out) and its audit, the same answer for every
name, hostile sign-in forms, session expiry, roles, escaping, exports and headers."""

from __future__ import annotations

import csv
import io
import json
import re
import statistics
import time
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import FormData
from argon2 import PasswordHasher, extract_parameters
from sqlalchemy import select

from bot.accounts.staff import Passwords, add_account
from bot.config import load_settings
from bot.storage.models import AuditLog, LoginThrottle
from bot.web.app import create_app
from bot.web.staff.present import UK
from tests.helpers import NOW, save
from tests.staff_support import CHEAP_HASHER, HOSTILE, PASSWORD, REF, Staff, token_in

PAGES = ["/staff/", f"/staff/referrals/{REF}", "/staff/overview", "/staff/audit"]
APIS = ["/staff/api/queue"]
FORMS = {
    "/staff/logout": {},
    f"/staff/referrals/{REF}/status": {"status": "closed"},
    f"/staff/referrals/{REF}/assign": {"to": "me"},
    f"/staff/referrals/{REF}/notes": {"body": "rang, no answer"},
    f"/staff/referrals/{REF}/erase": {"confirm": REF},
    "/staff/export": {"reference": REF, "format": "csv"},
}
WORKSPACE_PREFIXES = ("/staff/content", "/staff/accounts")  # covered route by route in tests/test_editor_web.py
PUBLIC = {("GET", "/staff/login"), ("POST", "/staff/login"), ("GET", "/staff/static")}


def test_every_staff_route_is_covered_by_these_tests() -> None:
    """A new route must be added to PAGES, APIS, FORMS or PUBLIC, and so to the refusal tests below."""
    app = create_app(load_settings(env_file=None))
    routes = {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None and route.resource.canonical.startswith("/staff/") and route.method != "HEAD"
        and not route.resource.canonical.startswith(WORKSPACE_PREFIXES)
    }
    known = PUBLIC | {("GET", p.replace(REF, "{reference}")) for p in PAGES + APIS}
    known |= {("POST", p.replace(REF, "{reference}")) for p in FORMS}
    assert routes == known


# -- refusals --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
async def test_pages_send_you_to_sign_in_first(staff: Staff, path: str) -> None:
    save(staff.store, 0)
    response = await staff.client.get(path, allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/staff/login"
    assert staff.audit("view") == []


@pytest.mark.parametrize("path", APIS)
async def test_apis_answer_401_without_a_session(staff: Staff, path: str) -> None:
    response = await staff.client.get(path, allow_redirects=False)
    assert response.status == 401
    assert await response.json() == {"error": "Please sign in."}


@pytest.mark.parametrize(("path", "form"), FORMS.items())
async def test_forms_do_nothing_without_a_session(staff: Staff, path: str, form: dict) -> None:
    save(staff.store, 0)
    page = await staff.client.get("/staff/login")  # a valid anonymous CSRF token is not enough
    data = {**form, "csrf_token": token_in(await page.text())}
    response = await staff.client.post(path, data=data, allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/staff/login"
    assert staff.store.get(REF).status == "new"
    assert staff.audit("export") == [] and staff.audit("note_added") == []


@pytest.mark.parametrize(
    ("path", "form"), [*FORMS.items(), ("/staff/login", {"username": "alice", "password": PASSWORD})]
)
@pytest.mark.parametrize("token", [None, "forged-token"])
async def test_every_form_refuses_a_missing_or_wrong_csrf_token(staff: Staff, path: str, form: dict, token) -> None:
    save(staff.store, 0)
    await staff.sign_in("root")
    data = dict(form) if token is None else {**form, "csrf_token": token}
    response = await staff.client.post(path, data=data, allow_redirects=False)
    assert response.status == 403
    assert "reload the page" in await response.text()
    assert staff.store.get(REF) is not None and staff.store.get(REF).status == "new"
    assert staff.audit("export") == [] and staff.audit("note_added") == [] and staff.audit("logout") == []


async def test_a_token_from_another_session_is_refused(staff: Staff) -> None:
    save(staff.store, 0)
    other = token_in(await (await staff.client.get("/staff/login")).text())
    await staff.sign_in()
    response = await staff.client.post(f"/staff/referrals/{REF}/status", data={"status": "closed", "csrf_token": other})
    assert response.status == 403 and staff.store.get(REF).status == "new"


async def test_a_form_posted_from_another_site_is_refused_even_with_the_token(staff: Staff) -> None:
    save(staff.store, 0)
    token = await staff.sign_in()
    response = await staff.client.post(
        f"/staff/referrals/{REF}/status",
        data={"status": "closed", "csrf_token": token},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status == 403 and staff.store.get(REF).status == "new"
    same_site = staff.client.make_url("/").origin()
    for origin, status in ((str(same_site), "contacted"), ("null", "closed")):  # "null": see _same_origin
        response = await staff.client.post(
            f"/staff/referrals/{REF}/status", data={"status": status, "csrf_token": token}, headers={"Origin": origin}
        )
        assert response.status == 200 and staff.store.get(REF).status == status


# -- signing in ------------------------------------------------------------------------------------------------


async def test_sign_in_sets_a_strict_encrypted_cookie_for_staff_paths_only(staff: Staff) -> None:
    response = await staff.login("Alice", PASSWORD)  # usernames are not case-sensitive
    assert response.status == 303 and response.headers["Location"] == "/staff/"
    cookie = response.cookies["staff_session"]
    assert cookie["path"] == "/staff/" and cookie["httponly"] and cookie["samesite"] == "Strict"
    assert not cookie["secure"]  # plain http in the test; see the next test
    assert "alice" not in cookie.value
    assert "Referrals" in await (await staff.client.get("/staff/")).text()
    assert staff.audit("login") == [("alice", None, "from 127.0.0.1")]


async def test_the_cookie_is_secure_behind_https(staff: Staff) -> None:
    response = await staff.client.get("/staff/login", headers={"X-Forwarded-Proto": "https"})
    assert response.cookies["staff_session"]["secure"]


class CountingHasher(PasswordHasher):
    """The cheap test hasher, noting which hash each sign-in was checked against."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.checked: list[str] = []

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:  # noqa: A002 (argon2's own name)
        self.checked.append(str(hash))
        return super().verify(hash, password)


def counting(staff: Staff) -> CountingHasher:
    hasher = CountingHasher()
    staff.ctx.passwords = Passwords(hasher)  # same settings as the accounts' hashes, so they still verify
    return hasher


def hash_of(staff: Staff, username: str) -> str:
    return staff.ctx.repository.accounts.get(username).password_hash


FAILED = "That username and password do not match an active account"


async def answer(response, typed: str) -> tuple[int, str, str | None]:  # type: ignore[no-untyped-def]
    """Status, page (the typed name taken out: it is shown back whatever it is) and Retry-After."""
    return response.status, (await response.text()).replace(typed, "TYPED"), response.headers.get("Retry-After")


async def test_unknown_known_and_disabled_names_get_the_same_answer_after_the_same_work(staff: Staff) -> None:
    hasher = counting(staff)
    staff.ctx.repository.accounts.set_active("root", False, actor="test")
    attempts = [("alice", "not the password"), ("nobody", PASSWORD), ("root", PASSWORD), ("no such name!", PASSWORD)]
    answers = {await answer(await staff.login(name, password), name) for name, password in attempts}
    assert len(answers) == 1
    status, page, _ = answers.pop()
    assert status == 401 and FAILED in page
    dummy = staff.ctx.passwords.dummy_hash()
    # every attempt did one real argon2 check: unknown names against the dummy hash, disabled ones their own
    assert hasher.checked == [hash_of(staff, "alice"), dummy, hash_of(staff, "root"), dummy]
    assert (await staff.client.get("/staff/", allow_redirects=False)).status == 303


async def test_throttled_known_and_unknown_names_get_the_same_answer_without_a_password_check(staff: Staff) -> None:
    hasher = counting(staff)
    throttled = set()
    for name in ("alice", "nobody"):
        for _ in range(3):
            assert (await staff.login(name, "wrong password")).status == 401
        throttled.add(await answer(await staff.login(name, PASSWORD), name))
    assert len(hasher.checked) == 6  # the two refused attempts checked nothing
    assert len(throttled) == 1
    status, page, retry_after = throttled.pop()
    assert (status, retry_after) == (429, "1")
    assert "Too many sign-in attempts from here. Please wait 1 second, then try again." in page


async def test_failures_slow_sign_in_down_but_never_lock_the_account(staff: Staff) -> None:
    for _ in range(3):
        assert (await staff.login("alice", "wrong password")).status == 401
    refused = await staff.login("alice", PASSWORD)  # even the right password waits, unchecked
    assert refused.status == 429 and refused.headers["Retry-After"] == "1"
    waits = []
    for _ in range(11):
        staff.clock.now += timedelta(seconds=int(refused.headers["Retry-After"]))
        assert (await staff.login("alice", "wrong password")).status == 401
        refused = await staff.login("alice", "wrong password")
        assert refused.status == 429
        waits.append(int(refused.headers["Retry-After"]))
    assert waits == [2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]
    after = (staff.clock.now + timedelta(minutes=15)).astimezone(UK)
    assert f"Please wait 15 minutes (after {after:%H:%M}), then try again." in await refused.text()
    staff.clock.now += timedelta(minutes=15)
    assert (await staff.login("alice", PASSWORD)).status == 303
    assert staff.audit("account_locked") == []


async def test_an_attacker_elsewhere_cannot_keep_the_real_user_out(staff: Staff) -> None:
    staff.ctx.settings = staff.ctx.settings.copy(update={"trusted_proxy_hops": 1})
    attacker = {"X-Forwarded-For": "203.0.113.66"}
    for n in range(30):
        await staff.login("alice", f"guess number {n}", headers=attacker)
        staff.clock.now += timedelta(seconds=30)
    assert (await staff.login("alice", PASSWORD, headers=attacker)).status == 429
    # Entries left of the one our proxy added are the client's own words: forging them changes nothing.
    forged = {"X-Forwarded-For": "198.51.100.7, 203.0.113.66"}
    assert (await staff.login("alice", PASSWORD, headers=forged)).status == 429
    assert (await staff.login("alice", PASSWORD, headers={"X-Forwarded-For": "198.51.100.7"})).status == 303
    assert ("alice", None, "from 198.51.100.7") in staff.audit("login")


async def test_without_trusted_proxies_x_forwarded_for_is_ignored(staff: Staff) -> None:
    for n in range(3):
        headers = {"X-Forwarded-For": f"198.51.100.{n}"}  # a new "address" each time, which must not help
        assert (await staff.login("alice", "wrong password", headers=headers)).status == 401
    response = await staff.login("alice", "wrong password", headers={"X-Forwarded-For": "198.51.100.99"})
    assert response.status == 429
    assert staff.audit("login_throttled") == [("alice", None, "from 127.0.0.1; refused, 1 s to wait")]


async def test_the_client_address_is_read_from_the_right_of_x_forwarded_for(staff: Staff) -> None:
    staff.ctx.settings = staff.ctx.settings.copy(update={"trusted_proxy_hops": 2})  # say a CDN, then a load balancer
    for forwarded in (
        "198.51.100.1, 203.0.113.5, 10.0.0.2",  # the client's own claim, the CDN saw 203.0.113.5, the LB saw the CDN
        "not-an-address, 10.0.0.2",  # garbage where the address should be: the connecting address counts
        "10.0.0.2",  # fewer entries than proxies: not through both proxies, so the connecting address
        "::ffff:203.0.113.6, 10.0.0.2",
    ):
        await staff.login("alice", "wrong password", headers={"X-Forwarded-For": forwarded})
    assert [detail for _, _, detail in staff.audit("login_failed")] == [
        "from 203.0.113.5",
        "from 127.0.0.1",
        "from 127.0.0.1",
        "from 203.0.113.6",
    ]


async def test_addresses_in_one_ipv6_slash_64_are_throttled_together(staff: Staff) -> None:
    staff.ctx.settings = staff.ctx.settings.copy(update={"trusted_proxy_hops": 1})
    for n in range(3):
        await staff.login("alice", "wrong password", headers={"X-Forwarded-For": f"2001:db8:5:6::{n + 1:x}"})
    refused = await staff.login("alice", PASSWORD, headers={"X-Forwarded-For": "2001:db8:5:6:ffff::1"})
    assert refused.status == 429
    assert staff.audit("login_throttled") == [("alice", None, "from 2001:db8:5:6:ffff::1; refused, 1 s to wait")]
    assert (await staff.login("alice", PASSWORD, headers={"X-Forwarded-For": "2001:db8:5:7::1"})).status == 303


async def test_every_attempt_is_audited_with_the_address_but_never_a_name_no_account_has(staff: Staff) -> None:
    typed_by_mistake = "Correct-Horse-Battery-9"  # a password typed into the username box
    for _ in range(3):
        await staff.login("alice", "wrong password")
    await staff.login("alice", PASSWORD)  # refused while throttled
    for _ in range(4):
        await staff.login(typed_by_mistake, "wrong password")
    staff.ctx.repository.accounts.set_active("root", False, actor="test")
    await staff.login("root", PASSWORD)
    staff.clock.now += timedelta(seconds=1)
    assert (await staff.login("alice", PASSWORD)).status == 303
    with staff.store.engine.connect() as connection:
        rows = connection.execute(
            select(AuditLog.actor, AuditLog.action, AuditLog.detail)
            .where(AuditLog.action.like("login%"))
            .order_by(AuditLog.id)
        ).all()
        audit_text = " ".join(str(value) for row in connection.execute(select(AuditLog)) for value in row)
        throttle_text = " ".join(str(value) for row in connection.execute(select(LoginThrottle)) for value in row)
    failed = ("alice", "login_failed", "from 127.0.0.1")
    unknown = ("unknown account", "login_failed", "from 127.0.0.1")
    assert [tuple(row) for row in rows] == [
        failed,
        failed,
        failed,
        ("alice", "login_throttled", "from 127.0.0.1; refused, 1 s to wait"),
        unknown,
        unknown,
        unknown,
        ("unknown account", "login_throttled", "from 127.0.0.1; refused, 1 s to wait"),
        ("root", "login_failed", "from 127.0.0.1; account disabled"),
        ("alice", "login", "from 127.0.0.1"),
    ]
    for text in (audit_text, throttle_text):
        assert typed_by_mistake.lower() not in text.lower() and "127.0.0.1" not in throttle_text


def test_the_dummy_hash_has_the_settings_of_the_real_ones_even_when_one_is_shared() -> None:
    """A dummy hash made with cheap settings must never stand in for the production ones (the time would differ)."""
    cheap, production = Passwords(CHEAP_HASHER), Passwords()
    cheap_dummy, production_dummy = cheap.dummy_hash(), production.dummy_hash()
    assert extract_parameters(cheap_dummy) == extract_parameters(CHEAP_HASHER.hash("x"))
    assert extract_parameters(production_dummy) == extract_parameters(PasswordHasher().hash("x"))
    assert Passwords().dummy_hash() == production_dummy  # made once per process for the same settings
    assert Passwords(CHEAP_HASHER).dummy_hash() == cheap_dummy
    assert not production.verify(None, "not a real password, only here to spend the same time")


async def test_unknown_names_take_as_long_as_known_ones(staff: Staff) -> None:
    """With argon2-cffi's default (production) settings: medians of 7, taken in turn, within a factor of 2."""
    assert staff.ctx.passwords._dummy is not None  # made at start-up, not by the first unknown name
    staff.ctx.passwords = Passwords()
    staff.ctx.passwords.dummy_hash()  # as start-up does
    add_account(staff.ctx.repository.accounts, staff.ctx.passwords, "casey", PASSWORD, "staff", actor="test")
    times: dict[str, list[float]] = {"casey": [], "nobody-here": []}
    for _ in range(7):
        for name, seconds in times.items():
            staff.clock.now += timedelta(days=2)  # no throttling in the way
            token = await staff.login_token()
            started = time.perf_counter()
            response = await staff.client.post(
                "/staff/login",
                data={"username": name, "password": "not the password", "csrf_token": token},
                allow_redirects=False,
            )
            seconds.append(time.perf_counter() - started)
            assert response.status == 401
    known, unknown = (statistics.median(times[name]) for name in times)
    print(f"sign-in, wrong password: known name {known * 1000:.1f} ms, unknown {unknown * 1000:.1f} ms (medians of 7)")
    assert 0.5 < unknown / known < 2


# -- hostile sign-in forms ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "x" * 10_000,
        "\uff41\uff4c\uff49\uff43\uff45",  # full-width "alice"
        "alice\u200b",
        "ALI\u0307CE",
        "AL\u0130CE",
        "alice\x00",
        "\u202eecila",
        "",
        "<script>alert(1)</script>",
        "alice' OR '1'='1",
    ],
)
async def test_odd_usernames_get_the_ordinary_answer(staff: Staff, name: str) -> None:
    response = await staff.login(name, PASSWORD)
    page = await response.text()
    assert response.status == 401 and FAILED in page
    assert "x" * 65 not in page and "<script>alert" not in page
    assert (await staff.login("alice", PASSWORD)).status == 303


async def test_very_long_passwords_are_simply_wrong(staff: Staff) -> None:
    for password in ("p" * 12_000, PASSWORD + "x" * 5_000, PASSWORD * 200):  # the whole form may be 16 KB
        response = await staff.login("alice", password)
        assert response.status == 401 and FAILED in await response.text()


async def test_unreadable_sign_in_forms_are_refused_plainly(staff: Staff) -> None:
    token = await staff.login_token()
    form = "application/x-www-form-urlencoded"
    for body, content_type in (
        (b"username=alice\xff\xfe&password=x&csrf_token=" + token.encode(), form),
        (f"username=alice&password=x&csrf_token={token}".encode("utf-16"), form),
        (f"username=alice&password=x&csrf_token={token}".encode(), form + "; charset=x-no-such-charset"),
    ):
        response = await staff.client.post(
            "/staff/login", data=body, headers={"Content-Type": content_type}, allow_redirects=False
        )
        assert response.status == 400 and "could not be read" in await response.text()
    assert staff.audit("login_failed") == []


async def test_missing_mangled_or_file_fields_are_a_failed_attempt(staff: Staff) -> None:
    token = await staff.login_token()
    posts = [
        {"csrf_token": token},  # no username, no password
        {"csrf_token": token, "username": "alice"},  # no password
        f"csrf_token={token}&username=%ff%fe%ED%A0%80&password=x",  # percent-encoded bytes that are not UTF-8
    ]
    for data in posts:
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if isinstance(data, str) else None
        response = await staff.client.post("/staff/login", data=data, headers=headers, allow_redirects=False)
        assert response.status == 401 and FAILED in await response.text()
    # No staff form takes uploads: a multipart body is refused before anything reads it (no password checked).
    upload = FormData()
    upload.add_field("csrf_token", token)
    upload.add_field("username", b"alice", filename="name.txt", content_type="application/octet-stream")
    upload.add_field("password", PASSWORD)
    refused = await staff.client.post("/staff/login", data=upload, allow_redirects=False)
    assert refused.status == 415 and "file upload" in await refused.text()
    assert [row[0] for row in staff.audit("login_failed")] == ["unknown account", "alice", "unknown account"]


async def test_an_unreadable_form_elsewhere_is_a_400_too(staff: Staff) -> None:
    save(staff.store, 0)
    token = await staff.sign_in()
    response = await staff.client.post(
        f"/staff/referrals/{REF}/notes",
        data=b"body=\xff\xfe&csrf_token=" + token.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status == 400 and "could not be read" in await response.text()


async def test_a_sign_in_too_big_to_send_gets_a_plain_answer(staff: Staff) -> None:
    response = await staff.login("alice", "p" * 20_000)
    assert response.status == 413 and "too much to send" in await response.text()


async def test_after_sign_in_you_land_on_the_page_you_asked_for(staff: Staff) -> None:
    save(staff.store, 0)
    await staff.client.get(f"/staff/referrals/{REF}", allow_redirects=False)
    response = await staff.login("alice", PASSWORD)
    assert response.headers["Location"] == f"/staff/referrals/{REF}"


async def test_sessions_end_after_thirty_minutes_without_use(staff: Staff) -> None:
    await staff.sign_in()
    for _ in range(3):  # using the pages keeps the session going
        staff.clock.now += timedelta(minutes=29)
        assert (await staff.client.get("/staff/", allow_redirects=False)).status == 200
    staff.clock.now += timedelta(minutes=31)
    response = await staff.client.get("/staff/", allow_redirects=False)
    assert response.status == 303
    page = await (await staff.client.get("/staff/login")).text()
    assert "signed out because the pages were not used for 30 minutes" in page


async def test_background_polling_does_not_keep_a_session_alive(staff: Staff) -> None:
    await staff.sign_in()
    staff.clock.now += timedelta(minutes=20)
    assert (await staff.client.get("/staff/api/queue")).status == 200
    staff.clock.now += timedelta(minutes=20)
    assert (await staff.client.get("/staff/api/queue")).status == 401


async def test_sessions_end_after_twelve_hours_however_busy(staff: Staff) -> None:
    await staff.sign_in()
    for _ in range(35):  # 11 h 40 min of steady work
        staff.clock.now += timedelta(minutes=20)
        assert (await staff.client.get("/staff/", allow_redirects=False)).status == 200
    staff.clock.now += timedelta(minutes=21)
    assert (await staff.client.get("/staff/", allow_redirects=False)).status == 303


async def test_signing_out_ends_the_session_even_for_a_copied_cookie(staff: Staff) -> None:
    token = await staff.sign_in()
    copied = staff.client.session.cookie_jar.filter_cookies(staff.client.make_url("/staff/"))["staff_session"].value
    response = await staff.client.post("/staff/logout", data={"csrf_token": token}, allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/staff/login"
    staff.client.session.cookie_jar.clear()
    replay = await staff.client.get("/staff/", headers={"Cookie": f"staff_session={copied}"}, allow_redirects=False)
    assert replay.status == 303
    assert staff.audit("logout") == [("alice", None, None)]


async def test_a_disabled_account_is_signed_out_and_cannot_sign_in(staff: Staff) -> None:
    await staff.sign_in()
    staff.ctx.repository.accounts.set_active("alice", False, actor="cli")
    assert (await staff.client.get("/staff/", allow_redirects=False)).status == 303
    assert (await staff.login("alice", PASSWORD)).status == 401


# -- roles -------------------------------------------------------------------------------------------------


async def test_only_admins_read_the_audit_log(staff: Staff) -> None:
    save(staff.store, 0)
    await staff.sign_in("alice")
    await staff.client.get(f"/staff/referrals/{REF}")
    refused = await staff.client.get("/staff/audit")
    assert refused.status == 403 and "Only admins can read the audit log" in await refused.text()
    assert "Audit log" not in await (await staff.client.get("/staff/")).text()  # not offered either

    staff.client.session.cookie_jar.clear()
    await staff.sign_in("root")
    page = await staff.client.get("/staff/audit", params={"reference": REF.lower()})
    text = await page.text()
    assert page.status == 200
    assert re.search(rf"<td>alice</td><td>view</td><td>{REF}</td>", text)
    assert staff.audit("audit_view") == [("root", REF, "offset 0")]


async def test_only_admins_erase_and_only_with_the_reference_typed(staff: Staff) -> None:
    save(staff.store, 0)
    token = await staff.sign_in("alice")
    refused = await staff.client.post(f"/staff/referrals/{REF}/erase", data={"confirm": REF, "csrf_token": token})
    assert refused.status == 403 and staff.store.get(REF) is not None

    staff.client.session.cookie_jar.clear()
    token = await staff.sign_in("root")
    typo = await staff.client.post(f"/staff/referrals/{REF}/erase", data={"confirm": "ACDE-AAGJ", "csrf_token": token})
    assert "Nothing was erased" in await typo.text() and staff.store.get(REF) is not None
    done = await staff.client.post(f"/staff/referrals/{REF}/erase", data={"confirm": REF.lower(), "csrf_token": token})
    assert f"Referral {REF} and its notes have been erased" in await done.text()
    assert staff.store.get(REF) is None
    assert staff.audit("erasure") == [("root", REF, None)]
    assert (await staff.client.get(f"/staff/referrals/{REF}")).status == 404


# -- the queue and a referral --------------------------------------------------------------------------------


def references_in(page: str) -> list[str]:
    return re.findall(r'class="reference" href="/staff/referrals/([A-Z0-9-]+)"', page)


async def test_the_queue_shows_urgent_first_then_oldest_with_counts_and_filters(staff: Staff) -> None:
    old = save(staff.store, 1, at=NOW - timedelta(days=2))
    urgent = save(staff.store, 2, age=8, at=NOW - timedelta(hours=2))
    new = save(staff.store, 3, at=NOW - timedelta(hours=1))
    closed = save(staff.store, 4, at=NOW - timedelta(days=5))
    staff.ctx.repository.change_status(closed, "closed", actor="alice")
    await staff.sign_in()

    page = await (await staff.client.get("/staff/")).text()
    assert references_in(page) == [urgent, old, new]
    assert re.search(r'id="count-open-urgent">1<', page) and re.search(r'id="count-open">3<', page)
    assert re.search(r'id="count-new">3<', page) and re.search(r'id="count-closed">1<', page)
    assert "2 days ago" in page

    closed_page = await (await staff.client.get("/staff/", params={"status": "closed"})).text()
    assert references_in(closed_page) == [closed]
    urgent_page = await (await staff.client.get("/staff/", params={"priority": "urgent"})).text()
    assert references_in(urgent_page) == [urgent]
    found = await (await staff.client.get("/staff/", params={"q": closed.lower().replace("-", "")})).text()
    assert references_in(found) == [closed]
    nonsense = await (await staff.client.get("/staff/", params={"q": "hello"})).text()
    assert "That is not a reference code" in nonsense and references_in(nonsense) == []


async def test_the_queue_api_gives_counts_and_the_newest_referral(staff: Staff) -> None:
    save(staff.store, 1)
    save(staff.store, 2, age=3)
    await staff.sign_in()
    data = await (await staff.client.get("/staff/api/queue")).json()
    assert data["counts"]["open"] == 2 and data["counts"]["open_urgent"] == 1
    assert data["newest_id"] >= 2


async def test_the_referral_page_puts_how_to_contact_first_and_records_the_view(staff: Staff) -> None:
    save(staff.store, 0, age=9, topics=("signs",))
    await staff.sign_in()
    response = await staff.client.get(f"/staff/referrals/{REF.lower()}")
    page = await response.text()
    assert response.status == 200
    contact = page.index("Before you get in touch")
    assert contact < page.index("Change status") < page.index("What the parent told us")
    assert "07700 900123" in page and 'href="tel:+447700900123"' in page
    assert "No — do not leave a message" in page
    assert "the child is 9, under 13" in page
    assert "Signs to look out for" in page  # topic titles from the content
    assert "URGENT - parent support referral ACDE-AAGH" in page  # the text for the case system
    assert staff.audit("view") == [("alice", REF, None)]


async def test_status_assignment_and_notes_from_the_referral_page(staff: Staff) -> None:
    save(staff.store, 0)
    token = await staff.sign_in()
    base = f"/staff/referrals/{REF}"
    page = await (await staff.client.post(f"{base}/status", data={"status": "contacted", "csrf_token": token})).text()
    assert "Status changed to Contacted." in page and 'id="current-status">Contacted<' in page
    page = await (await staff.client.post(f"{base}/assign", data={"to": "me", "csrf_token": token})).text()
    assert "Assigned to alice" in page and "Unassign me" in page
    page = await (
        await staff.client.post(f"{base}/notes", data={"body": "Rang at 6pm.\nNo answer.", "csrf_token": token})
    ).text()
    assert "Note added." in page and "Rang at 6pm.\nNo answer." in page
    empty = await (await staff.client.post(f"{base}/notes", data={"body": "  ", "csrf_token": token})).text()
    assert "A note needs some text" in empty
    bad = await staff.client.post(f"{base}/status", data={"status": "finished", "csrf_token": token})
    assert bad.status == 400
    stored = staff.store.get(REF)
    assert (stored.status, stored.assigned_to) == ("contacted", "alice")
    assert staff.audit("status_change") == [("alice", REF, "new -> contacted")]


async def test_a_note_too_big_to_send_gets_a_plain_answer(staff: Staff) -> None:
    save(staff.store, 0)
    token = await staff.sign_in()
    response = await staff.client.post(f"/staff/referrals/{REF}/notes", data={"body": "💔" * 2000, "csrf_token": token})
    assert response.status == 413
    assert "too much to send at once" in await response.text()
    assert staff.audit("note_added") == []


async def test_unknown_and_malformed_references_are_404(staff: Staff) -> None:
    await staff.sign_in()
    for path in ("/staff/referrals/ACDE-9999", "/staff/referrals/not-a-code", "/staff/nowhere"):
        response = await staff.client.get(path)
        assert response.status == 404
        assert "Back to the queue" in await response.text()


async def test_hostile_parent_text_is_shown_escaped(staff: Staff) -> None:
    save(
        staff.store,
        0,
        preferred_name=HOSTILE,
        area='"><img src=x onerror=alert(2)>',
        help_wanted=f"Please help {HOSTILE}\n<b>bold</b>",
    )
    token = await staff.sign_in()
    await staff.client.post(f"/staff/referrals/{REF}/notes", data={"body": f"note {HOSTILE}", "csrf_token": token})
    page = await (await staff.client.get(f"/staff/referrals/{REF}")).text()
    assert HOSTILE not in page and "<img src=x" not in page and "<b>bold</b>" not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 4  # name, help, note, case-system text
    assert "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;" in page
    assert "<script" not in page.replace('<script src="/staff/static/copy.js" defer></script>', "")


# -- exports ---------------------------------------------------------------------------------------------------


async def test_csv_export_of_ticked_referrals_with_formulas_neutralised(staff: Staff) -> None:
    first = save(
        staff.store, 1, preferred_name="@SUM(A1)", area="+44 Leeds", help_wanted='=HYPERLINK("http://x.example")'
    )
    second = save(staff.store, 2, age=7, help_wanted="-1 and plain words")
    token = await staff.sign_in()
    staff.ctx.repository.add_note(first, "=cmd|' /C calc'!A0", actor="alice")
    response = await staff.client.post(
        "/staff/export", data=[("reference", first), ("reference", second), ("format", "csv"), ("csrf_token", token)]
    )
    assert response.status == 200
    assert response.content_type == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="referrals-20261122-2310.csv"'
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO((await response.read()).decode("utf-8-sig"))))
    assert [row["reference"] for row in rows] == [first, second]
    one, two = rows
    assert one["name_to_use"] == "'@SUM(A1)"
    assert one["area"] == "'+44 Leeds"
    assert one["help_wanted"] == '\'=HYPERLINK("http://x.example")'
    assert one["staff_notes"].startswith("2026-11-22T23:10+00:00 alice: =cmd")
    assert two["help_wanted"] == "'-1 and plain words"
    assert one["phone"] == "07700 900123" and one["safe_to_leave_message"] == "no"
    assert two["priority"] == "urgent" and two["priority_reasons"] == "the child is 7, under 13"
    for row in rows:
        assert not any(value.startswith(("=", "+", "-", "@")) for value in row.values())
    assert [r[1] for r in staff.audit("export")] == [first, second]


async def test_json_export_of_one_referral_has_the_whole_summary_and_the_notes(staff: Staff) -> None:
    save(staff.store, 0)
    token = await staff.sign_in()
    staff.ctx.repository.add_note(REF, "Rang, left no message.", actor="alice")
    response = await staff.client.post("/staff/export", data={"reference": REF, "format": "json", "csrf_token": token})
    assert response.headers["Content-Disposition"] == f'attachment; filename="referral-{REF}.json"'
    document = json.loads(await response.read())
    assert document["exported_by"] == "alice"
    (referral,) = document["referrals"]
    assert referral["summary"] == staff.store.get(REF).summary
    assert referral["staff_notes"] == [
        {"author": "alice", "at": "2026-11-22T23:10:00+00:00", "text": "Rang, left no message."}
    ]
    assert staff.audit("export") == [("alice", REF, "json, 1 referral(s) in the file")]


async def test_an_export_with_nothing_ticked_says_so(staff: Staff) -> None:
    token = await staff.sign_in()
    page = await (await staff.client.post("/staff/export", data={"format": "csv", "csrf_token": token})).text()
    assert "Tick at least one referral to export." in page
    bad = await staff.client.post("/staff/export", data={"reference": REF, "format": "xlsx", "csrf_token": token})
    assert bad.status == 400


# -- the overview ---------------------------------------------------------------------------------------------


async def test_the_overview_draws_its_charts_on_the_server(staff: Staff) -> None:
    save(staff.store, 1, age=5, topics=("signs", "grooming"))
    save(staff.store, 2, topics=("signs",), at=NOW - timedelta(days=8))
    await staff.sign_in()
    page = await (await staff.client.get("/staff/overview")).text()
    assert page.count("<svg") == 3
    assert "<title>Week of 16 Nov: 1 urgent</title>" in page
    assert "<title>Signs to look out for: 2</title>" in page
    assert re.search(r"<strong>1</strong> urgent \(50%\)", page)
    assert "style=" not in page  # the CSP forbids inline styles


# -- headers and the rest of the service ---------------------------------------------------------------------


async def test_staff_responses_carry_no_store_and_a_strict_csp(staff: Staff) -> None:
    save(staff.store, 0)
    responses = [
        await staff.client.get("/staff/login"),
        await staff.client.get("/staff/", allow_redirects=False),
        await staff.client.get("/staff/static/staff.css"),
    ]
    await staff.sign_in()
    responses += [
        await staff.client.get("/staff/"),
        await staff.client.get(f"/staff/referrals/{REF}"),
        await staff.client.get("/staff/referrals/ACDE-9999"),
        await staff.client.get("/staff/api/queue"),
    ]
    for response in responses:
        headers = response.headers
        csp = headers["Content-Security-Policy"]
        assert headers["Cache-Control"] == "no-store", response.url
        assert "script-src 'self'" in csp and "style-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert csp.startswith("default-src 'none'"), response.url  # the staff pages' own, stricter policy
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"


async def test_the_templates_have_no_inline_script_or_style(staff: Staff) -> None:
    save(staff.store, 0)
    await staff.sign_in("root")
    for path in ("/staff/", f"/staff/referrals/{REF}", "/staff/overview", "/staff/audit"):
        page = await (await staff.client.get(path)).text()
        assert "style=" not in page and "<style" not in page and " on" + "click=" not in page
        assert all(tag.startswith('<script src="/staff/static/') for tag in re.findall(r"<script[^>]*>", page))


async def test_the_public_pages_set_no_cookies(staff: Staff) -> None:
    for path in ("/", "/healthz"):
        response = await staff.client.get(path)
        assert response.status == 200
        assert "Set-Cookie" not in response.headers


async def test_staff_without_a_slash_goes_to_the_queue(staff: Staff) -> None:
    response = await staff.client.get("/staff", allow_redirects=False)
    assert response.status == 308 and response.headers["Location"] == "/staff/"


async def test_unknown_paths_outside_staff_are_still_404(staff: Staff) -> None:
    """The sub-application's prefix matching must not turn other paths into errors.

    aiohttp 3.9 with yarl 1.13 or later made every such request a 500 (aio-libs/aiohttp#9435): yarl is
    pinned below 1.13 in requirements.lock for that reason.
    """
    assert (await staff.client.get("/no-such-page")).status == 404


async def test_without_an_encryption_key_the_staff_pages_say_so_and_the_chat_still_works(
    aiohttp_client, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATA_ENCRYPTION_KEYS", "")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'none.db'}")
    client = await aiohttp_client(create_app(load_settings(env_file=None)))
    response = await client.get("/staff/login")
    assert response.status == 503 and "DATA_ENCRYPTION_KEYS is not set" in await response.text()
    assert response.headers["Cache-Control"] == "no-store"
    assert (await client.get("/healthz")).status == 200


async def test_the_sign_in_page_names_the_team_from_the_organisation_setting(staff: Staff, tmp_path) -> None:
    import shutil

    from bot.config import PROJECT_ROOT
    from bot.content.store import ContentStore

    content = Path(shutil.copytree(PROJECT_ROOT / "content", tmp_path / "content"))
    setting = content / "organisation.yml"
    setting.write_text(setting.read_text().replace("name: National Parent Support Team", "name: Family Support Line"))
    staff.ctx.content = ContentStore(content)
    page = await (await staff.client.get("/staff/login")).text()
    assert "For the Family Support Line." in page and "National Parent Support Team" not in page


# -- the words come from content/, and a referral that cannot be read is said to be so ------------------------


@pytest.fixture
def edited_words(staff: Staff, tmp_path: Path) -> Path:
    """A copy of the shipped content with a staff label and a choice reworded, live on the staff pages."""
    import shutil

    import yaml

    from bot.config import PROJECT_ROOT
    from bot.content.store import ContentStore
    from bot.handoff.form import REFERRAL_NEEDS

    content = Path(shutil.copytree(PROJECT_ROOT / "content", tmp_path / "content"))
    staff_file = content / "staff.yml"
    words = yaml.safe_load(staff_file.read_text())
    words["case_page"]["area"] = "Council area"
    words["case_text"]["how_to_contact"] = "Getting in touch"
    staff_file.write_text(yaml.safe_dump(words))
    referral_file = content / "referral.yml"
    wording = yaml.safe_load(referral_file.read_text())
    wording["choices"]["relationship"]["mother"] = "mum"
    referral_file.write_text(yaml.safe_dump(wording))
    staff.ctx.content = ContentStore(content, REFERRAL_NEEDS)
    return content


async def test_the_referral_page_and_the_csv_use_the_words_in_content(staff: Staff, edited_words: Path) -> None:
    save(staff.store, 0)
    token = await staff.sign_in()
    page = await (await staff.client.get(f"/staff/referrals/{REF}")).text()
    assert "<dt>Council area</dt><dd>Leeds</dd>" in page and "<dt>Area</dt>" not in page
    assert "<dd>Mum</dd>" in page and "\nGetting in touch\n" in page and "\nHow to contact\n" not in page
    response = await staff.client.post("/staff/export", data={"reference": REF, "format": "csv", "csrf_token": token})
    (row,) = csv.DictReader(io.StringIO((await response.read()).decode("utf-8-sig")))
    assert row["relationship"] == "mum"


async def test_a_stored_summary_that_cannot_be_read_is_said_plainly(staff: Staff) -> None:
    from bot.storage.repository import NewReferral

    staff.store.save(
        NewReferral(
            reference=REF, submission_key="c" * 64, summary={"contact": {"preferred_name": "Sam"}},
            priority="standard", channel="rest", created_at=NOW, notify=False,
        )
    )
    token = await staff.sign_in()
    response = await staff.client.get(f"/staff/referrals/{REF}")
    assert response.status == 500
    page = await response.text()
    assert f"Referral {REF} cannot be shown" in page and "JSON export" in page and "Sam" not in page
    csv_export = await staff.client.post("/staff/export", data={"reference": REF, "format": "csv", "csrf_token": token})
    assert csv_export.status == 500 and "Sam" not in await csv_export.text()
    json_export = await staff.client.post("/staff/export", data={"reference": REF, "format": "json", "csrf_token": token})
    assert json.loads(await json_export.read())["referrals"][0]["summary"]["contact"] == {"preferred_name": "Sam"}


async def test_without_any_valid_content_a_referral_page_says_why(staff: Staff, tmp_path: Path) -> None:
    from bot.content.store import ContentStore

    save(staff.store, 0)
    await staff.sign_in()
    staff.ctx.content = ContentStore(tmp_path / "no-content-here")
    response = await staff.client.get(f"/staff/referrals/{REF}")
    assert response.status == 503 and "the wording in content/ does not load" in await response.text()
