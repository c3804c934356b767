"""What tests/test_deploy.py needs to run scripts/deploy/ the way a host would:

- the tools, from Debian's packages (scripts/deploy/test-tools.sh: nginx, bubblewrap, openssl);
- nginx: the shipped site rendered with test ports, certificate and log folder (nothing else changed),
  inside Debian's own nginx.conf, and an HTTPS client that connects with the site's name (SNI) from a
  chosen loopback address;
- systemd: the shipped units read as systemd reads them (sections, specifiers such as %i, environment
  files, `${NAME}` in command lines) and each command run with only the environment systemd would give
  it, in a bubblewrap sandbox that is read-only but for the unit's ReadWritePaths, as ProtectSystem=strict
  makes it (PrivateTmp and PrivateDevices too; NoNewPrivileges always holds in bubblewrap);
- processes started in their own session and stopped with their children, and a stand-in Rasa server
  (tests/fake_rasa.py) served from a thread so that other processes can reach it.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import os
import re
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from aiohttp import web

from bot.config import PROJECT_ROOT
from tests.fake_rasa import FakeRasa

DEPLOY = PROJECT_ROOT / "scripts" / "deploy"
NGINX_SITE = DEPLOY / "nginx" / "parent-support.conf"
SYSTEMD = DEPLOY / "systemd"
SERVER_NAME = "assistant.example"
INSTALL_ROOT = "/opt/parent-support"  # where the units expect the project
CONFIG_ROOT = "/etc/parent-support"  # where the units expect their environment files
DEBIAN_NGINX_CONF = Path("/etc/nginx/nginx.conf")
# What systemd gives a service with User= before its own Environment= and EnvironmentFile= lines.
SYSTEMD_BASE_ENVIRONMENT = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG": "C.UTF-8",
    "HOME": "/nonexistent",
    "USER": "parent-support",
    "LOGNAME": "parent-support",
    "SHELL": "/usr/sbin/nologin",
}


class ToolsUnavailable(RuntimeError):
    """nginx, bubblewrap or openssl could not be installed; the message says why."""


def tools() -> dict[str, str]:
    """{"NGINX": path, "BWRAP": path, "OPENSSL": path}, installing Debian's packages first where missing."""
    try:
        result = subprocess.run([str(DEPLOY / "test-tools.sh")], capture_output=True, text=True, timeout=900, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ToolsUnavailable(f"scripts/deploy/test-tools.sh could not run: {exc}") from exc
    if result.returncode != 0:
        raise ToolsUnavailable(f"scripts/deploy/test-tools.sh failed: {result.stderr.strip()[-300:]}")
    return dict(line.split("=", 1) for line in result.stdout.strip().splitlines() if "=" in line)


# -- processes -------------------------------------------------------------------------------------------


def start(command: list[str], env: Mapping[str, str], cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    """Start `command` in a session of its own (so that stopping it stops its children), output to `log`."""
    with log.open("ab") as out:
        return subprocess.Popen(command, cwd=cwd, env=dict(env), stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    """Stop the process and everything in its session, and wait until all of it is gone (ports free)."""
    group = process.pid
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, sig)
    deadline = time.monotonic() + 20
    while _group_alive(group, process) and time.monotonic() < deadline:
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)
    process.wait()
    while _group_alive(group, process):
        time.sleep(0.05)


def _group_alive(group: int, process: subprocess.Popen[bytes]) -> bool:
    process.poll()  # reap the leader, so that only the rest of the group counts
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def http_status(url: str, timeout: float = 2) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, OSError):
        return None


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float) -> float:
    """Seconds until `url` answers 200; fails with the end of the log if the process stops or time runs out."""
    began = time.monotonic()
    while http_status(url) != 200:
        if process.poll() is not None:
            raise AssertionError(f"stopped with exit status {process.returncode} before {url} answered:\n{tail(log)}")
        if time.monotonic() - began > timeout:
            raise AssertionError(f"{url} did not answer within {timeout:.0f} s:\n{tail(log)}")
        time.sleep(0.2)
    return time.monotonic() - began


def tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else "(no log)"


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


@contextmanager
def fake_rasa_on(port: int) -> Iterator[FakeRasa]:
    """tests/fake_rasa.py's stand-in Rasa server on 127.0.0.1:`port`, served from a thread of its own."""
    fake = FakeRasa()
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(fake.app())
    ready = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(10), "the stand-in Rasa server did not start"
    try:
        yield fake
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


# -- nginx -----------------------------------------------------------------------------------------------


def self_signed_certificate(openssl: str, folder: Path) -> tuple[Path, Path]:
    """(certificate, key) for SERVER_NAME, valid for a day: a throwaway for the test only."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={SERVER_NAME}",
         "-addext", f"subjectAltName=DNS:{SERVER_NAME}", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def _replace_once(text: str, old: str, new: str, what: str) -> str:
    if text.count(old) != 1:
        raise AssertionError(f"{what}: expected '{old}' exactly once, found it {text.count(old)} times")
    return text.replace(old, new)


def render_site(
    shipped: str, upstreams: list[str], https_port: int, http_port: int, cert: Path, key: Path, log_dir: Path
) -> str:
    """The shipped site with only the upstream addresses, listen ports, certificate paths and log folder changed."""
    lines = []
    upstream = iter(upstreams)
    in_upstream = False
    for line in shipped.splitlines(keepends=True):
        if line.startswith("upstream "):
            in_upstream = True
        elif in_upstream and line.startswith("}"):
            in_upstream = False
        elif in_upstream and line.strip().startswith("server "):
            line = re.sub(r"server \S+", lambda _: f"server {next(upstream)}", line, count=1)
        line = re.sub(r"^(\s*listen (?:\[::\]:)?)443\b", rf"\g<1>{https_port}", line)
        line = re.sub(r"^(\s*listen (?:\[::\]:)?)80\b", rf"\g<1>{http_port}", line)
        line = re.sub(r"^(\s*ssl_certificate )\S+;", rf"\g<1>{cert};", line)
        line = re.sub(r"^(\s*ssl_certificate_key )\S+;", rf"\g<1>{key};", line)
        lines.append(line.replace("/var/log/nginx/", f"{log_dir}/"))
    if next(upstream, None) is not None:
        raise AssertionError("the shipped upstream block lists fewer web services than the test starts")
    return "".join(lines)


def changed_lines(shipped: str, rendered: str) -> list[tuple[str, str]]:
    """(shipped line, rendered line) for every line that differs (render_site changes lines, never adds any)."""
    before, after = shipped.splitlines(), rendered.splitlines()
    assert len(before) == len(after)
    return [(old.strip(), new.strip()) for old, new in zip(before, after, strict=True) if old != new]


def main_conf(site: Path, prefix: Path) -> str:
    """Debian's own /etc/nginx/nginx.conf, with the site included where conf.d/*.conf is, and the pid file,
    logs and temporary files moved into `prefix`. The `user` line goes (the test's nginx runs as root, and
    its temporary folder is closed to www-data); the default site goes (it listens on port 80)."""
    text = DEBIAN_NGINX_CONF.read_text()
    text = re.sub(r"(?m)^user \S+;\n", "", text)
    text = re.sub(r"(?m)^pid \S+;", f"pid {prefix}/nginx.pid;", text)
    text = re.sub(r"(?m)^error_log \S+;", f"error_log {prefix}/error.log;", text)
    text = _replace_once(text, "access_log /var/log/nginx/access.log;", f"access_log {prefix}/access.log;", "nginx.conf")
    text = _replace_once(text, "include /etc/nginx/conf.d/*.conf;", f"include {site};", "nginx.conf")
    text = _replace_once(text, "include /etc/nginx/sites-enabled/*;", "", "nginx.conf")
    temp = "".join(f"\t{kind}_temp_path {prefix}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return _replace_once(text, "http {\n", "http {\n" + temp, "nginx.conf")


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class _NamedConnection(http.client.HTTPSConnection):
    """HTTPS to 127.0.0.1 under SERVER_NAME (SNI, certificate check, Host header), from a chosen source address."""

    def __init__(self, port: int, cafile: Path, source: str) -> None:
        super().__init__(SERVER_NAME, port, timeout=30, context=ssl.create_default_context(cafile=str(cafile)))
        self.source = source

    def connect(self) -> None:
        raw = socket.create_connection(("127.0.0.1", self.port), self.timeout, source_address=(self.source, 0))
        self.sock = self._context.wrap_socket(raw, server_hostname=SERVER_NAME)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Proxy:
    https_port: int
    http_port: int
    cafile: Path
    prefix: Path

    def request(
        self, method: str, path: str, body: bytes | dict | None = None, headers: dict[str, str] | None = None,
        source: str = "127.0.0.1",
    ) -> Answer:  # fmt: skip
        """One request over HTTPS; a dict body is sent as JSON."""
        headers = dict(headers or {})
        if isinstance(body, dict):
            body = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        connection = _NamedConnection(self.https_port, self.cafile, source)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return Answer(response.status, response.headers, response.read())
        finally:
            connection.close()

    def chat(self, sender: str, message: str, source: str = "127.0.0.1", headers: dict[str, str] | None = None) -> Answer:
        return self.request("POST", "/api/chat", {"sender": sender, "message": message}, headers, source)

    def logs(self) -> str:
        return "".join(path.read_text(errors="replace") for path in sorted(self.prefix.glob("*.log")))


# -- systemd ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    """A unit file as systemd reads it: (section, key, value) in order; `name` is e.g. parent-support-web@1.service."""

    name: str
    entries: tuple[tuple[str, str, str], ...]

    def values(self, section: str, key: str) -> list[str]:
        found: list[str] = []
        for entry_section, entry_key, value in self.entries:
            if (entry_section, entry_key) == (section, key):
                found = [] if value == "" and key.startswith(("Exec", "Environment")) else [*found, value]
        return found

    def value(self, section: str, key: str) -> str:
        found = self.values(section, key)
        assert len(found) == 1, f"{self.name}: [{section}] {key} set {len(found)} times"
        return found[0]

    def words(self, section: str, key: str) -> set[str]:
        """Every space-separated word of a list setting such as ReadWritePaths= or Wants=."""
        return {word for value in self.values(section, key) for word in value.split()}


def read_unit(path: Path, instance: str | None = None) -> Unit:
    """`path` as systemd reads it: then its drop-ins (the "parent-support-.service.d" kind beside it too),
    with specifiers such as %i expanded for `instance`."""
    template = path.name
    name = template.replace("@.", f"@{instance}.") if instance is not None else template
    entries: list[tuple[str, str, str]] = []
    for file in [path, *(conf for folder in drop_in_folders(path.parent, template, name) for conf in sorted(folder.glob("*.conf")))]:
        entries += [(section, key, _specifiers(value, name, instance)) for section, key, value in _settings_in(file)]
    return Unit(name, tuple(entries))


def drop_in_folders(beside: Path, template: str, name: str) -> list[Path]:
    """The drop-in folders systemd reads for `name`, most general first: one per dash-ended prefix of the
    name ("parent-support-.service.d"), then the template's, then the instance's."""
    stem, kind = template.rsplit(".", 1)
    parts = stem.split("-")
    prefixes = ["-".join(parts[:count]) + "-" for count in range(1, len(parts))]
    names = [f"{prefix}.{kind}.d" for prefix in prefixes] + [f"{template}.d"] + ([f"{name}.d"] if name != template else [])
    return [beside / folder for folder in names if (beside / folder).is_dir()]


def _settings_in(file: Path) -> list[tuple[str, str, str]]:
    """(section, key, value) of one unit file or drop-in: comments, sections and backslash continuations."""
    entries = []
    section = ""
    pending = ""
    for raw in file.read_text().splitlines():
        line = pending + raw.strip()
        pending = ""
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, equals, value = line.partition("=")
        assert equals and section, f"{file.name}: not a setting: {line!r}"
        entries.append((section, key.strip(), value.strip()))
    return entries


def _specifiers(text: str, name: str, instance: str | None) -> str:
    """systemd's %-specifiers the shipped units may use; any other is refused rather than guessed."""
    known = {"%": "%", "n": name, "N": name.rsplit(".", 1)[0], "p": name.split("@")[0]}
    if instance is not None:
        known |= {"i": instance, "I": instance}

    def one(match: re.Match[str]) -> str:
        letter = match.group(1)
        if letter not in known:
            raise AssertionError(f"{name}: specifier %{letter} is not one the tests know how to expand")
        return known[letter]

    return re.sub(r"%(.)", one, text)


_ENV_LINE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=[^\s'\"\\$`]*")


def read_env_file(path: Path) -> dict[str, str]:
    """An environment file, held to the plain lines that systemd, python-dotenv and the shell all read alike:
    comments, blank lines, and NAME=value with no quotes, spaces, backslashes or dollar signs."""
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith(("#", ";")):
            continue
        assert _ENV_LINE.fullmatch(line), f"{path.name}:{number}: not a plain NAME=value line: {line!r}"
        name, _, value = line.partition("=")
        assert name not in values, f"{path.name}:{number}: {name} is set twice"
        values[name] = value
    return values


def mapped(text: str, roots: Mapping[str, Path]) -> str:
    """`text` with the install paths of the units (INSTALL_ROOT, CONFIG_ROOT) swapped for the test's folders."""
    for shipped, here in roots.items():
        text = text.replace(shipped, str(here))
    return text


def unit_environment(unit: Unit, roots: Mapping[str, Path]) -> dict[str, str]:
    """What the service's processes see: systemd's base, then each EnvironmentFile, then Environment= lines."""
    environment = dict(SYSTEMD_BASE_ENVIRONMENT)
    for path in unit.values("Service", "EnvironmentFile"):
        optional = path.startswith("-")
        file = Path(mapped(path.lstrip("-"), roots))
        if file.exists() or not optional:
            environment |= read_env_file(file)
    for line in unit.values("Service", "Environment"):
        environment |= dict(assignment.split("=", 1) for assignment in shlex.split(line))
    return environment


def command_line(value: str, environment: Mapping[str, str], roots: Mapping[str, Path]) -> list[str]:
    """An Exec*= line as systemd runs it: quotes, `${NAME}` (one word, or inside one), `$NAME` (split), `$$`."""
    words = shlex.split(mapped(value, roots))
    assert not words[0].startswith(("@", "-", ":", "+", "!")), f"prefix {words[0][0]!r} is not handled here"

    def variable(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in environment, f"${{{name}}} in {value!r} is not set by any environment file of the unit"
        return environment[name]

    expanded: list[str] = []
    for word in words:
        whole = re.fullmatch(r"\$([A-Za-z_][A-Za-z0-9_]*)", word)
        if whole:
            expanded += variable(whole).split()
        else:
            expanded.append(re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", variable, word).replace("$$", "$"))
    return expanded


def sandboxed(bwrap: str, unit: Unit, command: list[str], roots: Mapping[str, Path]) -> list[str]:
    """`command` inside bubblewrap as the unit's hardening would run it: the whole file system read-only
    (ProtectSystem=strict) but for ReadWritePaths, a private /tmp and /var/tmp (PrivateTmp), a minimal /dev
    (PrivateDevices), no new privileges, in WorkingDirectory. The project's own folder, which the test keeps
    under the temporary folder, is bound back in read-only, as are the .venv and models it links to."""
    install = roots[INSTALL_ROOT]
    args = [bwrap, "--die-with-parent", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    args += ["--tmpfs", "/tmp", "--tmpfs", "/var/tmp", "--ro-bind", str(install), str(install)]
    # The built .venv and models are links to the checkout's (install_project), which may itself be under /tmp
    # or /dev/shm (a fresh clone, or the tests' RAM disk): bound back read-only where they really are.
    for built in (".venv", "models"):
        target = (install / built).resolve()
        if target != install / built:
            args += ["--ro-bind", str(target), str(target)]
    for path in sorted(unit.words("Service", "ReadWritePaths")):
        args += ["--bind", mapped(path, roots), mapped(path, roots)]
    args += ["--chdir", mapped(unit.value("Service", "WorkingDirectory"), roots), "--"]
    return args + command


# -- HTTP with cookies, for the staff pages ---------------------------------------------------------------


def plain_http(port: int, host: str = "127.0.0.1") -> Callable[..., Answer]:
    """A `send(method, path, body, headers)` over plain HTTP straight to a service (no proxy)."""

    def send(method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> Answer:
        connection = http.client.HTTPConnection(host, port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return Answer(response.status, response.headers, response.read())
        finally:
            connection.close()

    return send


@dataclass
class StaffBrowser:
    """The staff pages as a browser uses them: cookies kept (Secure ones too: the test knows where it sends
    them), forms posted with the page's CSRF token."""

    send: Callable[..., Answer]
    cookies: dict[str, str] = field(default_factory=dict)
    set_cookies: list[str] = field(default_factory=list)  # every Set-Cookie header, as sent

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> Answer:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        answer = self.send(method, path, body, headers)
        for header in answer.headers.get_all("Set-Cookie") or []:
            self.set_cookies.append(header)
            cookie = SimpleCookie()
            cookie.load(header)
            self.cookies.update({name: morsel.value for name, morsel in cookie.items()})
        return answer

    def form_fields(self, path: str) -> dict[str, str]:
        """The hidden fields (CSRF token, base version...) of the form on the page at `path`."""
        page = self.request("GET", path)
        assert page.status == 200, (path, page.status, page.text()[:300])
        return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text()))

    def sign_in(self, username: str, password: str) -> Answer:
        fields = self.form_fields("/staff/login")
        return self.request("POST", "/staff/login", {**fields, "username": username, "password": password})


# -- an installed copy of the project ---------------------------------------------------------------------


def install_project(root: Path) -> None:
    """The project as a host has it in INSTALL_ROOT: a checkout's files (no .env), the built .venv and models
    (linked, they are large), and an empty var/ owned by the service."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT_ROOT, capture_output=True, check=True, timeout=60,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        source = PROJECT_ROOT / name
        if source.is_file():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, root / name)
    for built in (".venv", "models"):
        (root / built).symlink_to(PROJECT_ROOT / built)
    (root / "var").mkdir()


def rewritten(path: Path, changes: Mapping[str, str]) -> str:
    """The environment file at `path` with the values of `changes`; every name changed must already be in it,
    so a test can never supply a setting the shipped file forgot."""
    lines, done = [], set()
    for line in path.read_text().splitlines():
        name = line.partition("=")[0]
        if "=" in line and not line.startswith("#") and name in changes:
            line = f"{name}={changes[name]}"
            done.add(name)
        lines.append(line)
    missing = set(changes) - done
    assert not missing, f"{path.name} has no line for {sorted(missing)}"
    return "\n".join(lines) + "\n"
