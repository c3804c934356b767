"""What several test modules share (test modules never import each other):

- small content folders written on the fly, so each test states exactly what it checks;
- the shipped content, loaded once, and a topic's steps as a parent reads them;
- a parent's full set of answers, and real schema-v1 referrals saved for the staff tests;
- a clock a test can move;
- a migrated SQLite database, copied from one migrated once per process, and a PostgreSQL database of a
  module's own;
- the widget's script run in Node against a stand-in browser (tests/js/widget_harness.js).
"""

from __future__ import annotations

import atexit
import json
import os
import pickle
import re
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from functools import cache, lru_cache
from pathlib import Path

import yaml

from bot import conversation
from bot.config import PROJECT_ROOT
from bot.content.check import REQUIRED_MESSAGES, REQUIRED_REFERRAL_MESSAGES
from bot.content.models import Content
from bot.content.reading import parse_yaml
from bot.content.store import ContentStore
from bot.handoff.form import REFERRAL_NEEDS
from bot.handoff.reference import ALPHABET
from bot.handoff.summary import FIELD_ORDER, build_summary
from bot.handoff.validation import ERROR_CODES
from bot.storage.repository import NewReferral, ReferralStore

SHIPPED_CONTENT_DIR = PROJECT_ROOT / "content"

SERVICES = {
    "services": [
        {
            "id": "emergency",
            "name": "Emergency services",
            "phone": "999",
            "hours": "24 hours a day",
            "about": "For danger right now.",
            "tags": ["emergency"],
            "source": ["https://example.org/999"],
            "verified": date(2026, 11, 1),
        },
        {
            "id": "samaritans",
            "name": "Samaritans",
            "phone": "116 123",
            "hours": "24 hours a day",
            "about": "Someone to talk to.",
            "tags": ["parent"],
            "source": ["https://example.org/samaritans"],
            "verified": date(2026, 11, 1),
        },
    ]
}

PLAIN = "You are not to blame for this. The person who hurt your child is to blame. We can go through it together."


def topic(topic_id: str = "grooming", intent: str | None = "grooming_info", steps: list | None = None, **extra) -> dict:
    return {
        "id": topic_id,
        "title": topic_id.replace("_", " ").title(),
        "intent": intent,
        "order": extra.pop("order", 1),
        "steps": steps
        or [
            {"id": "start", "text": PLAIN, "more": "Here is a bit more. " + PLAIN},
            {"id": "middle", "text": "Call {{emergency.phone}} if your child is in danger. " + PLAIN},
            {"id": "end", "text": PLAIN},
        ],
        **extra,
    }


def messages() -> dict:
    """Every required message; "menu" lists the topics, the others offer a way back to them."""
    data = {name: {"text": f"{name} text. " + PLAIN, "buttons": ["menu"]} for name in REQUIRED_MESSAGES}
    data["menu"]["buttons"] = ["topics"]
    return {"messages": data, "buttons": _shipped_yaml("messages.yml")["buttons"]}


# libyaml's parser and emitter where PyYAML has them: the pure-Python ones took a third of the content tests.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@cache
def _shipped_text(name: str) -> str:
    return (SHIPPED_CONTENT_DIR / name).read_text(encoding="utf-8")


def _shipped_yaml(name: str) -> dict:
    """A fresh parse of a shipped file (the caller's to change)."""
    return yaml.load(_shipped_text(name), Loader=_LOADER)  # noqa: S506 (a safe loader)


def dump_yaml(data: object) -> str:
    """`yaml.safe_dump(data, sort_keys=False)`, faster."""
    return yaml.dump(data, Dumper=_DUMPER, sort_keys=False)


def referral() -> dict:
    """Wording for every question, re-ask and step of the self-referral; the shipped labels and choices."""
    shipped = _shipped_yaml("referral.yml")
    return {
        "consent": {"text": "May I pass your details on? " + PLAIN},
        "questions": {
            name: {"text": f"Question about {name}?", "answers": ["Yes", "No"] if name.startswith("safe") else []}
            for name in (*FIELD_ORDER, "include_transcript")
        },
        "re_ask": {code: f"Sorry, {code}. " + PLAIN for code in ERROR_CODES},
        "messages": {name: {"text": f"{name} {{reference}}. " + PLAIN} for name in REQUIRED_REFERRAL_MESSAGES},
        "labels": shipped["labels"],
        "choices": shipped["choices"],
    }


def staff_words() -> dict:
    """The shipped content/staff.yml."""
    return _shipped_yaml("staff.yml")


def web_words() -> dict:
    """The shipped content/web.yml."""
    return _shipped_yaml("web.yml")


def write_content(
    root: Path,
    topics: list[dict] | None = None,
    services: dict | None = None,
    message_data: dict | None = None,
    referral_data: dict | None = None,
    staff_data: dict | None = None,
    web_data: dict | None = None,
) -> Path:
    """Write a content folder at root/content and return it."""
    root = root / "content"
    (root / "topics").mkdir(parents=True, exist_ok=True)
    (root / "services.yml").write_text(dump_yaml(services or SERVICES))
    (root / "messages.yml").write_text(dump_yaml(message_data or messages()))
    (root / "referral.yml").write_text(dump_yaml(referral_data or referral()))
    (root / "staff.yml").write_text(dump_yaml(staff_data or staff_words()))
    (root / "web.yml").write_text(dump_yaml(web_data or web_words()))
    for item in topics if topics is not None else [topic()]:
        (root / "topics" / f"{item['id']}.yml").write_text(dump_yaml(item))
    return root


# --- the shipped content ---------------------------------------------------------------------------


def edit_content(root: Path, file: str, change) -> None:  # noqa: ANN001 (a function of the file's data)
    """Change a YAML file of a content copy and make its modification time move on, as a save would."""
    path = root / file
    data = parse_yaml(path.read_text(encoding="utf-8"))
    change(data)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    path.write_text(yaml.dump(data, Dumper=dumper, sort_keys=False, allow_unicode=True), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10_000_000))


@lru_cache(maxsize=1)
def _shipped_domain() -> bytes:
    from bot.domain import merged_domain

    return pickle.dumps(merged_domain())


def shipped_domain() -> dict:
    """The shipped domain as Rasa merges it (bot.domain.merged_domain), a fresh copy each time: Rasa's
    Domain.load (schema checks included) took about half a second, and five test modules read it."""
    return pickle.loads(_shipped_domain())  # noqa: S301 (our own, from this process)


@lru_cache(maxsize=1)
def shipped_content() -> Content:
    """content/ as the assistant serves it, checked for everything the hand-off needs."""
    return ContentStore(SHIPPED_CONTENT_DIR, REFERRAL_NEEDS).get()


def flat(text: str) -> str:
    """Lower case with runs of spaces and line breaks as one space, so a phrase split over lines still matches."""
    return re.sub(r"\s+", " ", text).lower()


def step_texts(topic_id: str, content: Content | None = None) -> dict[str, str]:
    """Every step of a topic as the parent sees it (flattened): the step, then its "Tell me more" part."""
    content = content or shipped_content()
    texts: dict[str, str] = {}
    for step in content.topics[topic_id].steps:
        shown = conversation.start_topic(content, f"{topic_id}/{step.id}").messages[0].text
        if step.more:
            place = conversation.Place(topic_id, step.id)
            shown += "\n\n" + conversation.tell_me_more(content, place).messages[0].text
        texts[step.id] = flat(shown)
    return texts


# --- a parent's answers and saved referrals ---------------------------------------------------------

# Every question answered, as the form's slots hold them after validation (a phone call, police involved).
ALL_ANSWERED = {
    "preferred_name": "Sam",
    "contact_method": "phone",
    "contact_phone": "+447700900123",
    "contact_email": None,
    "safe_to_leave_message": True,
    "safe_to_say_who_is_calling": False,
    "best_times": ["evening"],
    "nation": "england",
    "area": "Leeds",
    "relationship": "mother",
    "child_age": 14,
    "concerns": ["criminal", "online"],
    "child_missing_now": False,
    "agencies": ["police"],
    "crime_reference": "13/12345/26",
    "help_wanted": "Someone to talk to about what to do next",
    "include_transcript": False,
}

NOW = datetime(2026, 11, 22, 23, 10, tzinfo=timezone.utc)  # a Sunday


class Clock:
    """A clock a test can move."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def reference_for(n: int) -> str:
    """A valid reference code of its own for each n (0 gives ACDE-AAGH)."""
    return f"ACDE-{ALPHABET[n // 25 % 25]}{ALPHABET[n % 25]}GH"


def make_summary(reference: str, *, age: int | None = 14, topics: tuple[str, ...] = (), **answers) -> dict:
    """A real schema-v1 summary (urgent when the child is under 13)."""
    base = {
        "preferred_name": "Sam",
        "contact_method": "phone",
        "contact_phone": "+447700900123",
        "safe_to_leave_message": False,
        "safe_to_say_who_is_calling": True,
        "best_times": ["evening"],
        "nation": "england",
        "area": "Leeds",
        "relationship": "mother",
        "child_age": age,
        "concerns": ["criminal"],
        "child_missing_now": False,
        "agencies": ["police"],
        "crime_reference": None,
        "help_wanted": "Some advice on what to do next, please",
    }
    return build_summary(
        reference=reference,
        answers={**base, **answers},
        safety_events=[],
        topics_viewed=list(topics),
        channel="web",
        started_at=NOW - timedelta(minutes=20),
        submitted_at=NOW,
        transcript=None,
    )


def save(store: ReferralStore, n: int, *, age: int | None = 14, at: datetime = NOW, **summary_args) -> str:
    """Save referral number n (see reference_for) and return its reference."""
    reference = reference_for(n)
    summary = make_summary(reference, age=age, **summary_args)
    store.save(
        NewReferral(
            reference=reference,
            submission_key=f"{n:064x}",
            summary=summary,
            priority=summary["priority"]["level"],
            channel="web",
            created_at=at,
            notify=False,
        )
    )
    return reference


# --- the widget, run in Node ------------------------------------------------------------------------

WIDGET_SCRIPT = PROJECT_ROOT / "bot" / "web" / "static" / "widget.js"
WIDGET_HARNESS = Path(__file__).parent / "js" / "widget_harness.js"
NO_NODE = shutil.which("node") is None  # skip reason: the browser tests run the widget too


def run_widget(reply: str, typed: str, config_help: str = "Call 999 <b>now</b>", words: dict | None = None) -> dict:
    """Open the widget, let the fake relay answer `reply`, type `typed`; the harness's report (see there).

    `config_help`: the help text /widget/config.json gives; "none" for none, "down" for no config at all.
    `words`: the words the config gives (content/web.yml `widget:`); none by default.
    """
    run = subprocess.run(
        ["node", str(WIDGET_HARNESS), str(WIDGET_SCRIPT), reply, typed, config_help, json.dumps(words) if words else ""],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(run.stdout)


@lru_cache(maxsize=1)
def _migrated_template() -> Path:
    from bot.storage.migrate import upgrade

    folder = tempfile.mkdtemp(prefix="migrated-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = Path(folder) / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


def migrated_sqlite(path: Path) -> str:
    """The url of a new SQLite database at `path` with every migration applied.

    A copy of one database migrated once per process: running the migrations for each test cost more
    than most tests (tests/test_storage.py runs them for real, from empty and step by step).
    """
    shutil.copyfile(_migrated_template(), path)
    return f"sqlite:///{path}"


@contextmanager
def own_postgres_database(server_url: str, prefix: str) -> Iterator[str]:
    """A new, empty database on the PostgreSQL server at `server_url` (its URL), dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url, future=True, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
