"""The deployment as shipped in scripts/deploy/ (docs/deploy.md), exercised rather than only read:

- the systemd units pass `systemd-analyze verify` and its offline security review, and agree with the
  example environment files and the proxy's upstream list;
- the TLS proxy: Debian's nginx with the shipped site (only ports, certificate, upstreams and log folder
  changed), in front of two real web services relaying to a stand-in Rasa server, checked over HTTPS;
- the units' commands, expanded as systemd would, started read-only but for their ReadWritePaths, with
  the environment files alone: the real action server, Rasa server and web service answer each other.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.config import PROJECT_ROOT, load_settings, setting_names
from bot.training import MODEL_PATH
from tests.deploy_support import (
    CONFIG_ROOT,
    INSTALL_ROOT,
    NGINX_SITE,
    SERVER_NAME,
    SYSTEMD,
    Proxy,
    StaffBrowser,
    ToolsUnavailable,
    Unit,
    changed_lines,
    command_line,
    fake_rasa_on,
    install_project,
    main_conf,
    mapped,
    plain_http,
    port_open,
    read_env_file,
    read_unit,
    render_site,
    rewritten,
    sandboxed,
    self_signed_certificate,
    start,
    stop,
    tail,
    tools,
    unit_environment,
    wait_until_up,
)
from tests.helpers import own_postgres_database

TEMPLATES = {kind: SYSTEMD / f"parent-support-{kind}@.service" for kind in ("web", "rasa", "actions")}
PURGE = SYSTEMD / "parent-support-purge.service"
SERVICES = [*TEMPLATES.values(), PURGE]
HARDENING = {
    "NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes",
    "PrivateDevices": "yes", "RestrictSUIDSGID": "yes", "CapabilityBoundingSet": "", "UMask": "0077",
}  # fmt: skip
# The one name in the environment files that is no setting of the project: the Rasa unit's --port.
UNIT_ONLY = {"RASA_PORT"}
FIGURES = PROJECT_ROOT / "results" / "deploy-figures.json"


def record(name: str, seconds: float) -> None:
    """Keep a measured time in results/deploy-figures.json (the report quotes them)."""
    FIGURES.parent.mkdir(exist_ok=True)
    figures = json.loads(FIGURES.read_text()) if FIGURES.exists() else {}
    figures[name] = round(seconds, 2)
    FIGURES.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")


def shipped_env(name: str) -> dict[str, str]:
    return read_env_file(SYSTEMD / name)


def instance_files(prefix: str) -> list[Path]:
    return sorted(SYSTEMD.glob(f"{prefix}-*.env"))


# -- the units and the environment files, read ---------------------------------------------------------


def units_for_systemd(folder: Path) -> list[str]:
    """The shipped units and their drop-in folder copied to `folder`, the project standing for /opt/parent-support
    (systemd checks that each command exists); the names to check, templates as instance 1."""
    for path in SYSTEMD.glob("parent-support*"):
        if path.is_dir():
            shutil.copytree(path, folder / path.name)
        else:
            (folder / path.name).write_text(path.read_text().replace(INSTALL_ROOT, str(PROJECT_ROOT)))
    return [f"{p.stem.replace('@', '@1')}{p.suffix}" for p in sorted(SYSTEMD.glob("parent-support*")) if p.is_file()]


def test_every_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    """systemd's own parser: no unknown key, no key in the wrong section, every command present."""
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed")
    names = units_for_systemd(tmp_path)
    assert {"parent-support.target", "parent-support-purge.timer"} <= set(names)
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *names], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_every_service_is_hardened_the_same_way_and_scores_low_in_systemds_review(tmp_path: Path) -> None:
    units_for_systemd(tmp_path)
    for path in SERVICES:
        unit = read_unit(path, "1" if "@" in path.name else None)
        assert unit.value("Service", "User") == "parent-support", unit.name  # in the unit itself, drop-in or not
        assert {key: unit.value("Service", key) for key in HARDENING} == HARDENING, unit.name
        assert f"{INSTALL_ROOT}/var" in unit.words("Service", "ReadWritePaths"), unit.name
        if shutil.which("systemd-analyze"):
            review = subprocess.run(
                ["systemd-analyze", "security", "--offline=yes", "--threshold=20", unit.name],
                cwd=tmp_path, capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            exposure = re.search(r"Overall exposure level for \S+: ([\d.]+)", review.stdout)
            assert review.returncode == 0 and exposure, review.stdout + review.stderr
            assert float(exposure.group(1)) <= 2.0, review.stdout  # systemd calls up to 2.0 "OK"
            record(f"systemd-analyze security exposure: {unit.name}", float(exposure.group(1)))
    for path in TEMPLATES.values():  # the long-running ones come back after a crash, but not from a bad setting
        unit = read_unit(path, "1")
        assert unit.value("Service", "Restart") == "on-failure" and unit.value("Service", "RestartSec"), unit.name
        assert "2" in unit.words("Service", "RestartPreventExitStatus"), unit.name
        assert unit.value("Unit", "PartOf") == unit.value("Install", "WantedBy") == "parent-support.target"
    # Only the web service writes the content folder (the editors' workspace).
    assert f"{INSTALL_ROOT}/content" in read_unit(TEMPLATES["web"], "1").words("Service", "ReadWritePaths")
    assert f"{INSTALL_ROOT}/content" not in read_unit(TEMPLATES["actions"], "1").words("Service", "ReadWritePaths")


def test_each_instance_reads_the_shared_file_then_its_own_and_a_rasa_server_brings_its_action_server() -> None:
    for kind, own in (("web", "web-7.env"), ("rasa", "rasa-7.env"), ("actions", "rasa-7.env")):
        unit = read_unit(TEMPLATES[kind], "7")
        assert unit.values("Service", "EnvironmentFile") == [f"{CONFIG_ROOT}/env", f"{CONFIG_ROOT}/{own}"]
    rasa = read_unit(TEMPLATES["rasa"], "7")
    assert "parent-support-actions@7.service" in rasa.words("Unit", "Wants") & rasa.words("Unit", "After")
    # The schema is migrated before every start of a web service, one instance at a time.
    assert any("-m bot db upgrade" in line and "flock" in line for line in read_unit(TEMPLATES["web"], "1").values("Service", "ExecStartPre"))


def test_the_example_environment_files_are_valid_settings_and_agree_with_each_other(monkeypatch: pytest.MonkeyPatch) -> None:
    shared = shipped_env("env")
    webs = {path.name: read_env_file(path) for path in instance_files("web")}
    rasas = {path.name: read_env_file(path) for path in instance_files("rasa")}
    known = set(setting_names()) | UNIT_ONLY
    for name, values in {"env": shared, **webs, **rasas}.items():
        assert set(values) <= known, f"{name}: {sorted(set(values) - known)} is no setting of the project"
    secrets_needed = {"RASA_TOKEN", "ACTION_SERVER_SECRET", "DATA_ENCRYPTION_KEYS", "STAFF_SESSION_KEY", "INSIGHT_KEY"}
    assert secrets_needed <= set(shared) and not any(shared[name] for name in secrets_needed)  # never a shipped secret
    fernet = {"DATA_ENCRYPTION_KEYS", "STAFF_SESSION_KEY"}
    filled = {name: (Fernet.generate_key().decode() if name in fernet else secrets.token_urlsafe(32)) for name in secrets_needed}
    for instance in [*webs.values(), *rasas.values()]:
        for name, value in {**shared, **filled, **instance}.items():
            if name in setting_names():
                monkeypatch.setenv(name, value)
        settings = load_settings(env_file=None)  # raises SettingsError, naming the setting, on any bad value
        assert settings.trusted_proxy_hops == 1 and settings.staff_cookie_secure == "always"
        assert settings.rasa_host == settings.action_host == "127.0.0.1"  # never on a public address
    # Every instance its own ports; each Rasa server finds its own action server; the lists name them all.
    ports = [v["WEB_PORT"] for v in webs.values()] + [v[k] for v in rasas.values() for k in ("RASA_PORT", "ACTION_PORT")]
    assert len(ports) == len(set(ports)) and len(webs) >= 2 and len(rasas) >= 2
    for values in rasas.values():
        assert values["ACTION_SERVER_URL"] == f"http://127.0.0.1:{values['ACTION_PORT']}/webhook"
    assert shared["RASA_URLS"].split(",") == [f"http://127.0.0.1:{v['RASA_PORT']}" for v in rasas.values()]
    assert shared["RASA_URL"] == shared["RASA_URLS"].split(",")[0]
    site = NGINX_SITE.read_text()
    upstreams = re.findall(r"(?m)^\s+server (\S+) ", site.split("upstream parent_support_web {")[1].split("}")[0])
    assert upstreams == [f"127.0.0.1:{v['WEB_PORT']}" for v in webs.values()]
    for values in rasas.values():  # the proxy never names a Rasa or action server's port
        assert values["RASA_PORT"] not in site and values["ACTION_PORT"] not in site


def test_the_rasa_unit_refuses_to_start_without_its_token() -> None:
    """Rasa's HTTP API would otherwise run open: the unit stops first, with status 2 (never restarted)."""
    unit = read_unit(TEMPLATES["rasa"], "1")
    (check,) = unit.values("Service", "ExecStartPre")
    for token, status in (("", 2), ("a-token", 0)):
        argv = command_line(check, {"RASA_TOKEN": token}, {})
        assert "a-token" not in " ".join(argv)  # the token is never on the command line
        result = subprocess.run(argv, env={"RASA_TOKEN": token}, capture_output=True, text=True, timeout=10)
        assert result.returncode == status
        assert ("RASA_TOKEN is empty" in result.stderr) == (status == 2)


def test_the_test_changes_only_ports_certificate_upstreams_and_logs_in_the_shipped_site(tmp_path: Path) -> None:
    shipped = NGINX_SITE.read_text()
    rendered = render_site(shipped, ["127.0.0.1:1", "127.0.0.1:2"], 8843, 8880, tmp_path / "c", tmp_path / "k", tmp_path)
    changed = changed_lines(shipped, rendered)
    assert changed and all(re.match(r"(listen|ssl_certificate|ssl_certificate_key|access_log|server) ", old) for old, _ in changed)
    assert {old.split()[0] for old, _ in changed} == {"listen", "ssl_certificate", "ssl_certificate_key", "access_log", "server"}


# -- the TLS proxy in front of two web services ---------------------------------------------------------

WEB_PORTS = (8805, 8815)
FAKE_RASA_PORT = 5805
HTTPS_PORT, HTTP_PORT = 8843, 8880
CHAT_LIMIT = 5  # per address and minute, counted by each web service (in memory here)
STAFF_USER, STAFF_PASSWORD = "deploy-check", "correct horse battery staple"


@dataclass
class ProxyStack:
    proxy: Proxy
    folder: Path
    env: dict[str, str]
    fake_received: list[dict]
    webs: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start_web(self, port: int) -> float:
        log = self.folder / f"web-{port}.log"
        command = [sys.executable, "-m", "bot", "web"]
        self.webs[port] = start(command, {**self.env, "WEB_PORT": str(port)}, PROJECT_ROOT, log)
        return wait_until_up(f"http://127.0.0.1:{port}/healthz", self.webs[port], log, 60)

    def web_logs(self) -> str:
        return "".join(path.read_text(errors="replace") for path in self.folder.glob("web-*.log"))


@pytest.fixture(scope="module")
def stack_of_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProxyStack]:
    try:
        paths = tools()
    except ToolsUnavailable as exc:
        pytest.skip(str(exc))
    busy = [port for port in (*WEB_PORTS, FAKE_RASA_PORT, HTTPS_PORT, HTTP_PORT) if port_open(port)]
    assert not busy, f"ports {busy} are in use"
    # A folder www-data can enter: Debian's nginx.conf runs the workers as www-data, and pytest's are closed.
    folder = Path(tempfile.mkdtemp(prefix="parent-support-nginx-"))
    folder.chmod(0o755)
    data = tmp_path_factory.mktemp("proxy-data")
    cert, key = self_signed_certificate(paths["OPENSSL"], data)
    env = {
        **{name: value for name, value in os.environ.items() if name not in setting_names()},
        "DATABASE_URL": f"sqlite:///{data / 'parent_support.db'}",
        "REFERRAL_SPOOL_DIR": str(data / "spool"),
        "RASA_URL": f"http://127.0.0.1:{FAKE_RASA_PORT}",
        "WEB_HOST": "127.0.0.1",
        "TRUSTED_PROXY_HOPS": "1",
        "CHAT_RATE_PER_ADDRESS": f"{CHAT_LIMIT}/minute",
        "CHAT_RATE_PER_CONVERSATION": "1000/minute",
        "RATE_LIMIT_STORAGE": "async+memory://",
        "STAFF_SESSION_KEY": Fernet.generate_key().decode(),  # both web services share it, as they must
        "DATA_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "RASA_TOKEN": secrets.token_urlsafe(16),
    }
    for command in (["db", "upgrade"], ["staff", "add", STAFF_USER, "--role", "staff", "--password-stdin"]):
        subprocess.run(
            [sys.executable, "-m", "bot", *command], env=env, cwd=PROJECT_ROOT, input=STAFF_PASSWORD + "\n",
            capture_output=True, text=True, check=True, timeout=120,
        )  # fmt: skip
    site = folder / "parent-support.conf"
    site.write_text(render_site(NGINX_SITE.read_text(), [f"127.0.0.1:{p}" for p in WEB_PORTS], HTTPS_PORT, HTTP_PORT, cert, key, folder))
    (folder / "nginx.conf").write_text(main_conf(site, folder))
    nginx = None
    with fake_rasa_on(FAKE_RASA_PORT) as fake:
        stack = ProxyStack(Proxy(HTTPS_PORT, HTTP_PORT, cert, folder), folder, env, fake.received)
        try:
            for port in WEB_PORTS:
                record(f"web service {port} up (s)", stack.start_web(port))
            checked = subprocess.run([paths["NGINX"], "-t", "-p", str(folder), "-c", str(folder / "nginx.conf")], capture_output=True, text=True)
            assert checked.returncode == 0, checked.stderr
            began = time.monotonic()
            nginx = start([paths["NGINX"], "-p", str(folder), "-c", str(folder / "nginx.conf"), "-g", "daemon off;"], env, folder, data / "nginx.out")
            while not port_open(HTTPS_PORT):
                assert nginx.poll() is None, tail(data / "nginx.out") + tail(folder / "error.log")
                time.sleep(0.05)
            record("nginx up (s)", time.monotonic() - began)
            yield stack
        finally:
            for process in [*stack.webs.values(), *([nginx] if nginx else [])]:
                stop(process)
            shutil.rmtree(folder, ignore_errors=True)


def hsts(answer) -> list[str]:  # noqa: ANN001
    return answer.headers.get_all("Strict-Transport-Security") or []


def from_nginx(answer) -> bool:  # noqa: ANN001
    """nginx's own error page (the web services answer errors in JSON or aiohttp's plain text)."""
    return "<center>nginx</center>" in answer.text()


@pytest.mark.stack
def test_the_widget_page_and_its_files_come_over_https_with_hsts_once(stack_of_proxy: ProxyStack) -> None:
    proxy = stack_of_proxy.proxy
    page = proxy.request("GET", "/")
    assert page.status == 200 and "/widget/widget.js" in page.text() and "Support for parents and carers" in page.text()
    assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")  # the web service's headers pass
    assert page.headers["Server"] == "nginx"  # no version
    for path in ("/widget/widget.js", "/widget/widget.css", "/widget/config.json", "/static/demo.css", "/api/status"):
        answer = proxy.request("GET", path)
        assert answer.status == 200, path
        assert hsts(answer) == ["max-age=31536000; includeSubDomains"], path
    assert "999" in proxy.request("GET", "/widget/config.json").text()  # Help now's numbers, for the widget
    assert hsts(proxy.request("GET", "/nothing-here")) == ["max-age=31536000; includeSubDomains"]  # nginx's own 404


@pytest.mark.stack
def test_a_chat_message_is_answered_through_the_proxy_from_the_page_itself(stack_of_proxy: ProxyStack) -> None:
    proxy = stack_of_proxy.proxy
    answer = proxy.chat("deploy-chat-0001", "hello")
    assert answer.status == 200, answer.text()
    assert [m["text"] for m in answer.json()["messages"]] == ["hello"]
    assert stack_of_proxy.fake_received[-1] == {"sender": "deploy-chat-0001", "message": "hello"}
    # The widget on the assistant's own page sends its origin; the web service compares it with the Host
    # the proxy passes on, port included.
    own = proxy.chat("deploy-chat-0002", "hello", headers={"Origin": f"https://{SERVER_NAME}:{HTTPS_PORT}"})
    assert own.status == 200, own.text()
    other = proxy.chat("deploy-chat-0003", "hello", headers={"Origin": "https://elsewhere.example"})
    assert other.status == 403 and "not allowed" in other.json()["error"]


@pytest.mark.stack
def test_staff_sign_in_works_through_the_proxy_with_a_secure_cookie_across_both_web_services(stack_of_proxy: ProxyStack) -> None:
    proxy = stack_of_proxy.proxy
    assert proxy.request("GET", "/staff").status == 308
    assert proxy.request("GET", "/staff/").status in (302, 303)  # to the sign-in page
    browser = StaffBrowser(lambda method, path, body, headers: proxy.request(method, path, body, headers, source="127.0.0.20"))
    signed_in = browser.sign_in(STAFF_USER, STAFF_PASSWORD)
    assert signed_in.status == 303, signed_in.text()[:500]
    assert browser.set_cookies and all("Secure" in c and "HttpOnly" in c for c in browser.set_cookies)
    queue = browser.request("GET", "/staff/")
    assert queue.status == 200 and STAFF_USER in queue.text()
    # The sign-in page, the sign-in and the queue were served by different web services, turn about.
    served = re.findall(r" (?:GET|POST) /staff/(?:login)? \d+ \d+ \S+ upstream=(\S+)", stack_of_proxy.proxy.logs())
    assert len(set(served[-3:])) == 2, served


# Rasa's REST channel and HTTP API, the action server's routes, and the web service's health check,
# plainly and through every path trick: nginx answers each itself (its own page), nothing reaches Rasa.
NOT_EXPOSED = [
    "/webhooks/rest/webhook", "/webhooks/rest/", "/socket.io/", "/model/parse", "/model", "/status", "/version",
    "/conversations/deploy-x/tracker", "/conversations/deploy-x/messages", "/webhook", "/actions", "/health",
    "/healthz", "/api/chat/../../webhooks/rest/webhook", "//webhooks/rest/webhook", "/api/%2e%2e/webhooks/rest/webhook",
    "/staff/..%2f..%2fmodel/parse", "/widget/../webhook", "/static/%2e%2e/conversations/x/tracker", "/API/CHAT",
]  # fmt: skip


@pytest.mark.stack
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_rasa_and_action_server_paths_are_answered_by_nginx_and_never_passed_on(stack_of_proxy: ProxyStack, method: str) -> None:
    before = len(stack_of_proxy.fake_received)
    for path in NOT_EXPOSED:
        answer = stack_of_proxy.proxy.request(method, path, {"sender": "x", "message": "hello"} if method == "POST" else None)
        assert answer.status in (400, 404) and from_nginx(answer), (path, answer.status, answer.text()[:200])
    assert len(stack_of_proxy.fake_received) == before
    assert " upstream=- " in stack_of_proxy.proxy.logs()  # logged as answered by nginx, no web service asked


@pytest.mark.stack
def test_a_forged_x_forwarded_for_does_not_escape_the_rate_limit(stack_of_proxy: ProxyStack) -> None:
    """Each message claims another address; the web services still count the one nginx saw."""
    proxy = stack_of_proxy.proxy
    statuses = [
        proxy.chat(f"deploy-forger-{n:04d}", "hello", source="127.0.0.7", headers={"X-Forwarded-For": f"203.0.113.{n}"}).status
        for n in range(2 * CHAT_LIMIT + 4)
    ]
    # Each of the two web services counts for itself here (the deployment shares the counts in Redis).
    assert statuses.count(200) <= 2 * CHAT_LIMIT and statuses.count(429) >= 4, statuses
    # Another client is not held back by the first: limits go by each client's own address.
    assert proxy.chat("deploy-neighbour-0001", "hello", source="127.0.0.8").status == 200


@pytest.mark.stack
def test_an_oversized_body_is_refused_by_the_proxy_and_each_path_has_its_own_cap(stack_of_proxy: ProxyStack) -> None:
    proxy = stack_of_proxy.proxy
    big = proxy.chat("deploy-big-0001", "x" * 17_000, source="127.0.0.9")
    assert big.status == 413 and from_nginx(big) and hsts(big)
    # Up to 16 KB reaches the web service, which judges the message itself, in words the widget shows.
    long = proxy.chat("deploy-big-0002", "x" * 16_000, source="127.0.0.9")
    assert not from_nginx(long) and "too long" in long.json()["error"]
    notes = {"Content-Type": "application/json"}
    assert from_nginx(proxy.request("POST", "/notes/page", b"{" + b" " * 70_000 + b"}", notes, source="127.0.0.9"))
    assert not from_nginx(proxy.request("POST", "/notes/page", b"{" + b" " * 40_000 + b"}", notes, source="127.0.0.9"))
    assert not from_nginx(proxy.request("POST", "/staff/login", b"a=" + b"b" * 200_000, {"Content-Type": "application/x-www-form-urlencoded"}))


@pytest.mark.stack
def test_plain_http_is_sent_to_https_and_other_names_get_no_tls(stack_of_proxy: ProxyStack) -> None:
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", HTTP_PORT, timeout=10)
    connection.request("GET", "/api/status", headers={"Host": SERVER_NAME})
    response = connection.getresponse()
    assert (response.status, response.headers["Location"]) == (301, f"https://{SERVER_NAME}/api/status")
    connection.close()
    import socket

    context = ssl.create_default_context(cafile=str(stack_of_proxy.proxy.cafile))
    context.check_hostname = False
    with socket.create_connection(("127.0.0.1", HTTPS_PORT), timeout=10) as raw, pytest.raises(ssl.SSLError):
        context.wrap_socket(raw, server_hostname="other.example")


@pytest.mark.stack
def test_forged_and_odd_requests_are_refused_or_overwritten_by_the_proxy(stack_of_proxy: ProxyStack) -> None:
    import http.client

    proxy = stack_of_proxy.proxy
    # Another site's name in Host (the certificate's name in SNI): the catch-all server closes it unanswered.
    try:
        wrong_host = proxy.request("GET", "/api/status", headers={"Host": "elsewhere.example"}).status
    except (http.client.RemoteDisconnected, ConnectionResetError):
        wrong_host = None
    assert wrong_host in (None, 421)
    # A client's X-Forwarded-Proto is overwritten: the staff cookie stays Secure.
    page = proxy.request("GET", "/staff/login", headers={"X-Forwarded-Proto": "http"})
    assert page.status == 200 and "Secure" in page.headers["Set-Cookie"]
    # An oversized header, a NUL, odd bytes in the path: nginx's own refusals.
    assert from_nginx(proxy.request("GET", "/", headers={"Cookie": "a=" + "b" * 20_000}))
    for path in ("/api/chat%00", "/st%C3%A4ff/", "/widget/%ff%fe/../../model/parse", "/api/chat%E2%80%AE"):
        answer = proxy.request("GET", path)
        assert answer.status in (400, 404) and from_nginx(answer), path
    # What a parent types passes through untouched, odd characters and all (the web service cleans it).
    assert proxy.chat("deploy-unicode-0001", "Hello\u200b there 👋 café", source="127.0.0.12").status == 200
    assert stack_of_proxy.fake_received[-1]["message"] == "Hello there 👋 café"


@pytest.mark.stack
def test_nginx_logs_no_message_text_query_string_referrer_or_address(stack_of_proxy: ProxyStack) -> None:
    proxy = stack_of_proxy.proxy
    marker = "zqxj-my-son-came-home-with-a-new-phone"
    assert proxy.chat("deploy-log-0001", marker, source="127.0.0.11").status == 200
    page = proxy.request("GET", "/?from=zqxj-query-name", headers={"Referer": "https://www.charity.example/zqxj-referrer-page"}, source="127.0.0.11")
    assert page.status == 200
    logs = proxy.logs()
    assert re.search(r" GET / 200 \d+ \S+ upstream=127\.0\.0\.1:88[01]5 ", logs)  # the request itself is logged
    assert "zqxj" not in logs and "127.0.0.11" not in logs
    assert "zqxj" not in stack_of_proxy.web_logs()
    # Debian's nginx.conf logs every site in the "combined" format (address, query, referrer, browser) unless the
    # site sets its own: this one does, so that file stays empty.
    combined = stack_of_proxy.folder / "access.log"
    assert not combined.exists() or combined.read_text() == ""


@pytest.mark.stack
def test_chats_still_answer_with_one_web_service_killed(stack_of_proxy: ProxyStack) -> None:
    """kill -9 of one web service: every later message is answered by the other, at once."""
    proxy, victim = stack_of_proxy.proxy, WEB_PORTS[0]
    stack_of_proxy.webs[victim].send_signal(signal.SIGKILL)
    stack_of_proxy.webs[victim].wait(10)
    timings, statuses = [], []
    for n in range(12):
        began = time.monotonic()
        statuses.append(proxy.chat(f"deploy-after-kill-{n:04d}", "hello", source=f"127.0.2.{n + 1}").status)
        timings.append(time.monotonic() - began)
    assert statuses == [200] * 12
    record("first chat after kill -9 of a web service (s)", timings[0])
    record("slowest of 12 chats after kill -9 (s)", max(timings))
    # nginx tried the dead one, then passed the same request to the living one, and then left the dead one alone.
    tried = re.findall(r"POST /api/chat 200 \d+ \S+ upstream=([^ ]+(?:, [^ ]+)*) upstream_status", proxy.logs())
    assert f"127.0.0.1:{victim}, 127.0.0.1:{WEB_PORTS[1]}" in tried[-12:]
    assert all(entry == f"127.0.0.1:{WEB_PORTS[1]}" for entry in tried[-6:])
    record(f"web service {victim} up again (s)", stack_of_proxy.start_web(victim))


# -- the units' commands, run as systemd would --------------------------------------------------------------

UNIT_PORTS = {"RASA_PORT": "5815", "ACTION_PORT": "5855", "WEB_PORT": "8825"}
# Where each process answers its health check, from the settings its unit gives it.
HEALTH = {"actions": ("ACTION_HOST", "ACTION_PORT", "/health"), "rasa": ("RASA_HOST", "RASA_PORT", "/"), "web": ("WEB_HOST", "WEB_PORT", "/healthz")}
LOCK_DB, LIMITS_DB = 7, 8  # Redis databases of this module's own
# What a process says when its unit keeps it from writing somewhere it needs to (the journal would show it).
COMPLAINTS = re.compile(
    r"Read-only file system|not a writable directory|Permission denied|unable to open database|Could not create tables|Falling back"
    r"|content unavailable"  # the Rasa server could not read content/ and answers from the domain's copy
)


@dataclass
class Installed:
    roots: dict[str, Path]
    logs: Path
    bwrap: str
    database: str  # where the processes keep everything, for the test to look
    redis: str | None = None
    running: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def unit(self, kind: str) -> tuple[Unit, dict[str, str]]:
        unit = read_unit(PURGE) if kind == "purge" else read_unit(TEMPLATES[kind], "1")
        return unit, unit_environment(unit, self.roots)

    def command(self, kind: str, line: str) -> tuple[list[str], dict[str, str], Path]:
        """(argv, environment, working directory) for `line` run as unit `kind` runs its commands."""
        unit, env = self.unit(kind)
        argv = sandboxed(self.bwrap, unit, command_line(line, env, self.roots), self.roots)
        return argv, env, Path(mapped(unit.value("Service", "WorkingDirectory"), self.roots))

    def run(self, kind: str, timeout: float = 240) -> float:
        """The unit's ExecStartPre commands, then its ExecStart; seconds until its health URL answers."""
        unit, env = self.unit(kind)
        log = self.logs / f"{kind}.log"
        began = time.monotonic()
        for line in unit.values("Service", "ExecStartPre"):
            argv, env, cwd = self.command(kind, line)
            done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, f"{kind}: {line}\n{done.stdout}{done.stderr}"
        argv, env, cwd = self.command(kind, unit.value("Service", "ExecStart"))
        self.running[kind] = start(argv, env, cwd, log)
        host, port, path = HEALTH[kind]
        wait_until_up(f"http://{env[host]}:{env[port]}{path}", self.running[kind], log, timeout)
        return time.monotonic() - began

    def chat(self, sender: str, message: str) -> list[dict]:
        _, env = self.unit("web")
        body = json.dumps({"sender": sender, "message": message}).encode()
        answer = plain_http(int(env["WEB_PORT"]))("POST", "/api/chat", body, {"Content-Type": "application/json"})
        assert answer.status == 200, answer.text()
        return answer.json()["messages"]

    def all_logs(self) -> str:
        return "".join(path.read_text(errors="replace") for path in self.logs.glob("*.log"))


def make_host(top: Path, bwrap: str, storage: dict[str, str], database: str, redis_url: str | None = None) -> Installed:
    """The project copied to a folder standing for /opt/parent-support (no .env), and the shipped environment
    files, with test ports, fresh secrets and `storage` (DATABASE_URL, LOCK_STORE_URL, RATE_LIMIT_STORAGE),
    in one standing for /etc/parent-support."""
    roots = {INSTALL_ROOT: top / "opt" / "parent-support", CONFIG_ROOT: top / "etc" / "parent-support"}
    install_project(roots[INSTALL_ROOT])
    roots[CONFIG_ROOT].mkdir(parents=True)
    rasa_url = f"http://127.0.0.1:{UNIT_PORTS['RASA_PORT']}"
    shared = {
        **{name: Fernet.generate_key().decode() for name in ("DATA_ENCRYPTION_KEYS", "STAFF_SESSION_KEY")},
        **{name: secrets.token_urlsafe(24) for name in ("RASA_TOKEN", "ACTION_SERVER_SECRET", "INSIGHT_KEY", "STAFF_WEBHOOK_SECRET")},
        **storage, "RASA_URLS": rasa_url, "RASA_URL": rasa_url,
    }  # fmt: skip
    files = {
        "env": shared,
        "web-1.env": {"WEB_PORT": UNIT_PORTS["WEB_PORT"]},
        "rasa-1.env": {
            "RASA_PORT": UNIT_PORTS["RASA_PORT"], "ACTION_PORT": UNIT_PORTS["ACTION_PORT"],
            "ACTION_SERVER_URL": f"http://127.0.0.1:{UNIT_PORTS['ACTION_PORT']}/webhook",
        },
    }  # fmt: skip
    for name, changes in files.items():
        target = roots[CONFIG_ROOT] / name
        target.write_text(rewritten(SYSTEMD / name, changes))
        target.chmod(0o600)
    logs = top / "logs"
    logs.mkdir()
    return Installed(roots, logs, bwrap, database, redis_url)


SQLITE = {"DATABASE_URL": "", "LOCK_STORE_URL": "", "RATE_LIMIT_STORAGE": "async+memory://"}  # "" is the default


def sqlite_file(top: Path) -> str:
    return f"sqlite:///{top / 'opt' / 'parent-support' / 'var' / 'parent_support.db'}"


@pytest.fixture(scope="module")
def bwrap() -> str:
    try:
        return tools()["BWRAP"]
    except ToolsUnavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory, bwrap: str) -> Installed:
    """Installed but not started: SQLite in var/ (DATABASE_URL left blank), everything else in memory."""
    top = tmp_path_factory.mktemp("host")
    return make_host(top, bwrap, SQLITE, sqlite_file(top))


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql-redis", marks=[pytest.mark.postgres, pytest.mark.redis])])
def units(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, bwrap: str) -> Iterator[Installed]:
    """The three units of instance 1 started in the order their After= lines give: on SQLite in var/ with
    the rest in memory, and on PostgreSQL and Redis as docs/deploy.md sets them up."""
    if not MODEL_PATH.exists():
        pytest.skip("needs a trained model: run `make train` (make test does)")
    busy = [int(port) for port in UNIT_PORTS.values() if port_open(int(port))]
    assert not busy, f"ports {busy} are in use"
    top = tmp_path_factory.mktemp(f"host-{request.param}")
    with ExitStack() as cleanup:
        if request.param == "sqlite":
            host = make_host(top, bwrap, SQLITE, sqlite_file(top))
        else:
            postgres, redis_server = request.getfixturevalue("postgres"), request.getfixturevalue("redis_server")
            if postgres.url is None:
                pytest.skip(f"PostgreSQL unavailable: {postgres.problem}")
            import redis

            database = cleanup.enter_context(own_postgres_database(postgres.url, "deploy"))
            for db in (LOCK_DB, LIMITS_DB):
                redis.Redis.from_url(f"{redis_server.url}/{db}").flushdb()
            storage = {
                "DATABASE_URL": database,
                "LOCK_STORE_URL": f"{redis_server.url}/{LOCK_DB}",
                "RATE_LIMIT_STORAGE": f"{redis_server.url}/{LIMITS_DB}",
            }
            host = make_host(top, bwrap, storage, database, redis_server.url)
        cleanup.callback(lambda: [stop(process) for process in host.running.values()])
        for kind in ("actions", "rasa", "web"):
            record(f"unit {kind}@1 ({request.param}): start to health answered (s)", host.run(kind))
        yield host


def stored_turns(database: str, sender: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(database, future=True)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": sender}).scalar_one()
    finally:
        engine.dispose()


@pytest.mark.stack
def test_the_three_units_answer_a_parent_through_each_other_and_keep_the_conversation(units: Installed) -> None:
    """web@1 relays to rasa@1, which calls actions@1 for the reply (the menu comes from content/) and keeps
    the conversation in the database the environment file names."""
    hello = units.chat("deploy-unit-0001", "hello")
    assert "not a person" in " ".join(m.get("text", "") for m in hello)
    assert units.chat("deploy-unit-0001", "zqxj my daughter keeps going missing at night")
    assert stored_turns(units.database, "deploy-unit-0001") > 0  # not Rasa's in-memory fallback
    logs = units.all_logs()
    assert not COMPLAINTS.findall(logs), [line for line in logs.splitlines() if COMPLAINTS.search(line)]
    assert "zqxj" not in logs  # no message text in what goes to the journal
    if units.redis:  # the web service counts in the shared Redis, and the Rasa server locks there, as the file says
        import redis

        server = redis.Redis.from_url(f"{units.redis}/{LIMITS_DB}")
        assert server.dbsize() > 0
        assert LOCK_DB in {int(client["db"]) for client in server.client_list()}


@pytest.mark.stack
def test_an_editors_save_through_the_web_unit_reaches_parents_through_the_action_server(units: Installed) -> None:
    """The web unit may write content/ (its ReadWritePaths); the action server reads the change live. The
    operator's command (`python -m bot staff add`) runs with the web unit's environment and limits too."""
    cli = f"{INSTALL_ROOT}/.venv/bin/python -m bot staff add deploy-editor --role editor --password-stdin"
    argv, env, cwd = units.command("web", cli)
    added = subprocess.run(argv, env=env, cwd=cwd, input=STAFF_PASSWORD + "\n", capture_output=True, text=True, timeout=120)
    assert added.returncode == 0, added.stderr
    browser = StaffBrowser(plain_http(int(env["WEB_PORT"])))
    assert browser.sign_in("deploy-editor", STAFF_PASSWORD).status == 303
    path = "/staff/content/topics/grooming/steps/start"
    new_text = "You are not to blame. The person who hurt your child is to blame. Saved through the web unit today."
    saved = browser.request("POST", path, {**browser.form_fields(path), "text": new_text, "more": ""})
    assert saved.status == 303, saved.text()[:500]
    assert new_text in (units.roots[INSTALL_ROOT] / "content" / "topics" / "grooming.yml").read_text()
    shown = units.chat("deploy-unit-0003", '/open_topic{"topic":"grooming"}')
    assert new_text in " ".join(m.get("text", "") for m in shown)


def test_the_daily_purge_runs_with_its_units_environment_and_limits(installed: Installed) -> None:
    web, _ = installed.unit("web")
    (migrate,) = web.values("Service", "ExecStartPre")
    for kind, line in (("web", migrate), ("purge", read_unit(PURGE).value("Service", "ExecStart"))):
        argv, env, cwd = installed.command(kind, line)
        done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "Deleted 0 referral(s) and 0 conversation event(s) older than 365 days."
    timer = read_unit(SYSTEMD / "parent-support-purge.timer")
    assert timer.value("Timer", "OnCalendar") and timer.value("Timer", "Persistent") == "true"


def test_a_bad_setting_stops_the_web_unit_with_status_2_which_it_does_not_restart(installed: Installed) -> None:
    unit, _ = installed.unit("web")
    argv, env, cwd = installed.command("web", unit.value("Service", "ExecStart"))
    result = subprocess.run(argv, env={**env, "WEB_PORT": "fifty"}, cwd=cwd, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "WEB_PORT" in result.stderr
    assert "2" in unit.words("Service", "RestartPreventExitStatus")
