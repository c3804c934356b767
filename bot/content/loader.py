"""Read the content folder into `Content`, collecting located findings instead of failing fast."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from bot.content.menu import MENU_FILE, load_menu
from bot.content.models import (
    SERVICE_DETAIL_FIELDS,
    Button,
    Content,
    Finding,
    Labels,
    Message,
    Question,
    ReferralWording,
    Service,
    Step,
    Topic,
)
from bot.content.notes import NOTES_FILE, load_notes
from bot.content.organisation import load_organisation
from bot.content.reading import Collector, has_hidden_characters, read_yaml
from bot.content.style import STYLE_FILE, load_avoid
from bot.content.words import WEB_FILE

ORGANISATION_FILE = "organisation.yml"  # optional: the organisation and its team (bot/content/organisation.py)
STAFF_FILE = "staff.yml"  # the words staff read about a referral
MAX_LABEL_CHARS = 200  # a label is a few words beside an answer or on a button


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


def _buttons(raw: Any, where: str, collector: Collector) -> tuple[Button, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        collector.error(where, '"buttons" should be a list')
        return ()
    buttons: list[Button] = []
    for index, item in enumerate(raw, start=1):
        if isinstance(item, str):
            buttons.append(Button(title="", goto=item.strip()))
            continue
        if not isinstance(item, dict):
            collector.error(f"{where}, button {index}", "a button needs a title and a goto")
            continue
        title = collector.required_text(item, "title", f"{where}, button {index}")
        goto = collector.required_text(item, "goto", f"{where}, button {index}")
        if title and goto:
            buttons.append(Button(title=title, goto=goto))
    return tuple(buttons)


def load_services(path: Path, root: Path) -> tuple[dict[str, Service], list[Finding]]:
    collector = Collector(_relative(path, root))
    data = read_yaml(path, collector)
    services: dict[str, Service] = {}
    entries = data.get("services") if isinstance(data, dict) else None
    if data is not None and not isinstance(entries, list):
        collector.error("", 'the file needs a "services:" list')
        entries = []
    for index, entry in enumerate(entries or [], start=1):
        where = f"service {index}"
        if not isinstance(entry, dict):
            collector.error(where, "each service should be a set of fields")
            continue
        service_id = collector.required_text(entry, "id", where)
        where = f'service "{service_id}"' if service_id else where
        name = collector.required_text(entry, "name", where)
        collector.required_text(entry, "about", where)
        sources = entry.get("source")
        if isinstance(sources, str):
            sources = [sources]
        if not sources:
            collector.error(where, 'missing field "source" (the page the details came from)')
            sources = []
        needs_confirming = str(entry.get("needs_confirming") or "").strip() or None
        verified = entry.get("verified")
        if verified is None and not needs_confirming:
            collector.error(
                where,
                'missing field "verified" (the date someone checked the details on the service\'s own page), '
                'or "needs_confirming" (what is still to be checked)',
            )
        elif verified is not None and not isinstance(verified, date):
            collector.error(where, '"verified" should be a date written as YYYY-MM-DD')
            verified = None
        if service_id in services:
            collector.error(where, f'the id "{service_id}" is used by more than one service')
            continue
        details = {key: str(entry[key]).strip() for key in SERVICE_DETAIL_FIELDS if entry.get(key)}
        if not service_id:
            continue
        services[service_id] = Service(
            id=service_id,
            name=name,
            details=details,
            tags=tuple(str(tag) for tag in entry.get("tags") or ()),
            sources=tuple(str(s) for s in sources),
            verified=verified,
            needs_confirming=needs_confirming,
        )
    return services, collector.findings


def load_topic(path: Path, root: Path) -> tuple[Topic | None, list[Finding]]:
    collector = Collector(_relative(path, root))
    data = read_yaml(path, collector)
    if data is None:
        if not collector.findings:
            collector.error("", "the file is empty")
        return None, collector.findings
    if not isinstance(data, dict):
        collector.error("", "a topic file should be a set of fields (id, title, steps)")
        return None, collector.findings
    topic_id = collector.required_text(data, "id", "")
    title = collector.required_text(data, "title", "")
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        collector.error("", 'missing field "steps" (a list of at least one step)')
        raw_steps = []
    steps: list[Step] = []
    seen_steps: set[str] = set()
    for index, raw in enumerate(raw_steps, start=1):
        where = f"step {index}"
        if not isinstance(raw, dict):
            collector.error(where, "each step should be a set of fields (id, text)")
            continue
        step_id = collector.required_text(raw, "id", where)
        where = f'step "{step_id}"' if step_id else where
        text = collector.required_text(raw, "text", where)
        if step_id in seen_steps:
            collector.error(where, f'the step id "{step_id}" is used twice in this topic')
        seen_steps.add(step_id)
        more = raw.get("more")
        steps.append(
            Step(
                id=step_id,
                text=text,
                more=str(more).strip() if more else None,
                buttons=_buttons(raw.get("buttons"), where, collector),
                next_label=str(raw["next_label"]).strip() if raw.get("next_label") else None,
                needs_confirming=str(raw.get("needs_confirming") or "").strip() or None,
            )
        )
    order = data.get("order", 999)
    if not isinstance(order, int):
        collector.error("", '"order" should be a whole number')
        order = 999
    if not topic_id or not title:
        return None, collector.findings
    topic = Topic(
        id=topic_id,
        title=title,
        intent=str(data["intent"]).strip() if data.get("intent") else None,
        menu=bool(data.get("menu", True)),
        order=order,
        steps=tuple(steps),
        file=collector.file,
    )
    return topic, collector.findings


def load_messages(path: Path, root: Path) -> tuple[dict[str, Message], dict[str, str], list[Finding]]:
    """messages.yml: the messages, and the standard buttons' words (`buttons:`)."""
    collector = Collector(_relative(path, root))
    data = read_yaml(path, collector)
    raw_messages = data.get("messages") if isinstance(data, dict) else None
    if data is not None and not isinstance(raw_messages, dict):
        collector.error("", 'the file needs a "messages:" section')
    messages = _messages(raw_messages, collector)
    buttons = label_sections({"buttons": data.get("buttons")}, "", collector) if isinstance(data, dict) else {}
    return messages, buttons.get("buttons", {}), collector.findings


def _messages(raw_messages: Any, collector: Collector) -> dict[str, Message]:
    messages: dict[str, Message] = {}
    for message_id, raw in (raw_messages or {}).items():
        where = f'message "{message_id}"'
        if not isinstance(raw, dict):
            collector.error(where, "each message should have a text (and optional buttons)")
            continue
        text = collector.required_text(raw, "text", where)
        messages[str(message_id)] = Message(
            id=str(message_id),
            text=text,
            buttons=_buttons(raw.get("buttons"), where, collector),
            domain_response=bool(raw.get("domain_response", False)),
        )
    return messages


def load_referral(path: Path, root: Path) -> tuple[ReferralWording, list[Finding]]:
    """The self-referral wording: consent, one question per answer, re-asks and messages."""
    collector = Collector(_relative(path, root))
    data = read_yaml(path, collector)
    if not isinstance(data, dict):
        if data is not None:
            collector.error("", "the file should have consent, questions, re_ask and messages sections")
        return ReferralWording(), collector.findings
    consent = ""
    if isinstance(data.get("consent"), dict):
        consent = collector.required_text(data["consent"], "text", "consent")
    else:
        collector.error("consent", 'missing "consent:" with a text')
    questions: dict[str, Question] = {}
    for field_name, raw in (data.get("questions") or {}).items():
        where = f'question "{field_name}"'
        if not isinstance(raw, dict):
            collector.error(where, "each question needs a text (and optional answers)")
            continue
        answers = raw.get("answers") or []
        if not isinstance(answers, list) or not all(isinstance(a, (str, int)) for a in answers):
            collector.error(where, '"answers" should be a list of short replies')
            answers = []
        questions[str(field_name)] = Question(
            field=str(field_name),
            text=collector.required_text(raw, "text", where),
            answers=tuple(str(a).strip() for a in answers),
        )
    re_ask = {}
    for code, text in (data.get("re_ask") or {}).items():
        if not isinstance(text, str) or not text.strip():
            collector.error(f're_ask "{code}"', "each re-ask needs some text")
            continue
        re_ask[str(code)] = text.strip()
    messages = _messages(data.get("messages"), collector)
    wording = ReferralWording(
        consent=consent,
        questions=questions,
        re_ask=re_ask,
        messages=messages,
        labels=label_sections(data.get("labels"), "labels", collector),
        choices=label_sections(data.get("choices"), "choices", collector),
    )
    return wording, collector.findings


def label_sections(raw: Any, kind: str, collector: Collector) -> Labels:
    """Sections of short labels: {section: {key: words}}. Each must be one line of plain text."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        collector.error(kind, "should be sections of labels, each a list of key: words")
        return {}
    sections: Labels = {}
    for section, entries in raw.items():
        where = f'{kind} "{section}"' if kind else f'"{section}"'
        if not isinstance(entries, dict):
            collector.error(where, "should be a list of key: words")
            continue
        labels: dict[str, str] = {}
        for key, words in entries.items():
            place = f'{where}, "{key}"'
            if not isinstance(words, str):
                collector.error(place, "should be words; put them in quotes (yes, no and numbers need them)")
            elif not words.strip():
                collector.error(place, "needs some words")
            elif "\n" in words.strip() or has_hidden_characters(words):
                collector.error(place, "should be one line, without invisible characters")
            elif len(words.strip()) > MAX_LABEL_CHARS:
                collector.error(place, f"is {len(words.strip())} characters long; a label is at most {MAX_LABEL_CHARS}")
            else:
                labels[str(key)] = words.strip()
        sections[str(section)] = labels
    return sections


def load_words(path: Path, root: Path) -> tuple[Labels, list[Finding]]:
    """A file of label sections (content/staff.yml, content/web.yml): {section: {key: words}}."""
    collector = Collector(_relative(path, root))
    data = read_yaml(path, collector)
    if data is not None and not isinstance(data, dict):
        collector.error("", "the file should be sections of labels, each a list of key: words")
        return {}, collector.findings
    return label_sections(data, "", collector), collector.findings


def load_content(root: Path) -> tuple[Content, list[Finding]]:
    """Load every content file under `root`; problems come back as findings, never exceptions."""
    findings: list[Finding] = []
    services: dict[str, Service] = {}
    messages: dict[str, Message] = {}
    buttons: dict[str, str] = {}
    services_path, messages_path = root / "services.yml", root / "messages.yml"
    if services_path.exists():
        services, found = load_services(services_path, root)
        findings.extend(found)
    if messages_path.exists():
        messages, buttons, found = load_messages(messages_path, root)
        findings.extend(found)
    referral_path = root / "referral.yml"
    referral = ReferralWording()
    if referral_path.exists():
        referral, found = load_referral(referral_path, root)
        findings.extend(found)
    staff_path, web_path = root / STAFF_FILE, root / WEB_FILE
    staff: Labels = {}
    web: Labels = {}
    if staff_path.exists():
        staff, found = load_words(staff_path, root)
        findings.extend(found)
    if web_path.exists():
        web, found = load_words(web_path, root)
        findings.extend(found)
    for path in (services_path, messages_path, referral_path, staff_path, web_path):
        if not path.exists():
            findings.append(Finding("error", _relative(path, root), "", "this file is missing"))
    organisation_path = root / ORGANISATION_FILE
    if organisation_path.exists():
        organisation, found = load_organisation(organisation_path, _relative(organisation_path, root))
        findings.extend(found)
        for service_id, service in organisation.items():
            if service_id in services:
                findings.append(
                    Finding(
                        "error",
                        "content/services.yml",
                        f'service "{service_id}"',
                        f"this id is set in {service.file}; remove it from services.yml",
                    )
                )
            services[service_id] = service
    topics: dict[str, Topic] = {}
    for path in sorted((root / "topics").glob("*.yml")):
        topic, found = load_topic(path, root)
        findings.extend(found)
        if topic is None:
            continue
        if topic.id in topics:
            findings.append(
                Finding("error", topic.file, "", f'the topic id "{topic.id}" is also used in {topics[topic.id].file}')
            )
            continue
        topics[topic.id] = topic
    avoid: tuple = ()
    style_path = root / STYLE_FILE
    if style_path.exists():
        avoid, found = load_avoid(style_path, _relative(style_path, root))
        findings.extend(found)
    menu_groups: tuple = ()
    menu_path = root / MENU_FILE
    if menu_path.exists():
        menu_groups, found = load_menu(menu_path, _relative(menu_path, root))
        findings.extend(found)
    notes = None
    notes_path = root / NOTES_FILE
    if notes_path.exists():
        notes, found = load_notes(notes_path, _relative(notes_path, root))
        findings.extend(found)
    content = Content(
        services=services,
        topics=topics,
        messages=messages,
        referral=referral,
        root=root,
        avoid=avoid,
        menu_groups=menu_groups,
        notes=notes,
        staff=staff,
        buttons=buttons,
        web=web,
    )
    return content, findings
