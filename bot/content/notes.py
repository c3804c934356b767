"""The wording of the parent's own notes (content/notes.yml): the notes for the police and the missing sheet.

Which boxes exist is set here, in code, because the widget, the JSON schema of what it sends and the
documents all depend on them; what each box is called, its hint, and the texts around them belong to
editors. The missing sheet's "what to do" part repeats steps of the missing topic, named by address,
so the sheet says what the topic says.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.content.models import Content, Finding, NoteField, NoteSection, NotesWording
from bot.content.reading import Collector, read_yaml, text_field

NOTES_FILE = "notes.yml"  # inside the content folder
NOTES_PATH = "content/notes.yml"

# One entry of the notes for the police: when, then what happened and who and what was involved.
LOG_FIELDS = (
    "date",
    "time",
    "what",
    "people",
    "vehicles",
    "phones",
    "places",
    "child_said",
    "police_refs",
    "passed_on",
)
# The "if my child goes missing" sheet: what the police will ask for.
SHEET_FIELDS = (
    "name",
    "description",
    "clothing",
    "phones_accounts",
    "friends",
    "places",
    "people_with",
    "medical",
    "earlier_episodes",
)
# Texts the widget and the documents need besides the boxes.
MESSAGES = (
    "empty",
    "download_warning",
    "email_intro",
    "email_sent",
    "email_subject",
    "referral_consent",
    "referral_added",
    "referral_none",
    "document_note",
)
MAX_LABEL_CHARS = 60
MAX_TEXT_CHARS = 2000  # the content check holds a bubble to 600; this only refuses an absurd file


def _section(collector: Collector, raw: Any, name: str, keys: tuple[str, ...]) -> NoteSection:
    if not isinstance(raw, dict):
        collector.error(name, f'missing section "{name}:" with a title, an intro and fields')
        raw = {}
    title = text_field(collector, raw, "title", name, MAX_LABEL_CHARS) or ""
    intro = text_field(collector, raw, "intro", name, MAX_TEXT_CHARS) or ""
    raw_fields = raw.get("fields")
    if not isinstance(raw_fields, dict):
        if raw:
            collector.error(name, '"fields" should list every box with its label')
        raw_fields = {}
    for key in raw_fields:
        if key not in keys:
            collector.error(f'{name}, field "{key}"', f"unknown box; the boxes are: {', '.join(keys)}")
    fields = []
    for key in keys:
        where = f'{name}, field "{key}"'
        entry = raw_fields.get(key)
        if not isinstance(entry, dict):
            collector.error(where, "missing: the notes need a label for this box")
            fields.append(NoteField(key, key))
            continue
        label = text_field(collector, entry, "label", where, MAX_LABEL_CHARS) or key
        hint = text_field(collector, entry, "hint", where, MAX_TEXT_CHARS, required=False)
        fields.append(NoteField(key, label, hint))
    return NoteSection(title=title, intro=intro, fields=tuple(fields))


def load_notes(path: Path, file: str) -> tuple[NotesWording | None, list[Finding]]:
    """The notes' wording; problems come back as located findings, never exceptions."""
    collector = Collector(file)
    data = read_yaml(path, collector)
    if collector.findings:
        return None, collector.findings
    if not isinstance(data, dict):
        return None, [Finding("error", file, "", "the file needs panel, log, missing_sheet and messages sections")]
    panel = data.get("panel") if isinstance(data.get("panel"), dict) else {}
    title = text_field(collector, panel, "title", "panel", MAX_LABEL_CHARS) or ""
    privacy = text_field(collector, panel, "privacy", "panel", MAX_TEXT_CHARS) or ""
    log_section = _section(collector, data.get("log"), "log", LOG_FIELDS)
    sheet_raw = data.get("missing_sheet")
    sheet = _section(collector, sheet_raw, "missing_sheet", SHEET_FIELDS)
    sheet_raw = sheet_raw if isinstance(sheet_raw, dict) else {}
    steps_title = text_field(collector, sheet_raw, "steps_title", "missing_sheet", MAX_LABEL_CHARS) or ""
    steps = sheet_raw.get("steps")
    if not isinstance(steps, list) or not steps or not all(isinstance(s, str) and "/" in s for s in steps):
        collector.error("missing_sheet", '"steps" should list topic steps such as missing/report_now')
        steps = []
    raw_messages = data.get("messages") if isinstance(data.get("messages"), dict) else {}
    for key in raw_messages:
        if key not in MESSAGES:
            collector.error(f'message "{key}"', f"unknown message; the messages are: {', '.join(MESSAGES)}")
    messages = {}
    for key in MESSAGES:
        text = text_field(collector, raw_messages, key, f'message "{key}"', MAX_TEXT_CHARS)
        if text:
            messages[key] = text
    wording = NotesWording(
        title=title,
        privacy=privacy,
        log=log_section,
        sheet=sheet,
        steps_title=steps_title,
        steps=tuple(s.strip() for s in steps),
        messages=messages,
    )
    return wording, collector.findings


def notes_text_blocks(notes: NotesWording) -> list[tuple[str, str]]:
    """(where, text) for every text a parent reads as a sentence or more: the content check reads these."""
    blocks = [("panel", notes.privacy)]
    for name, section in (("log", notes.log), ("missing_sheet", notes.sheet)):
        blocks.append((name, section.intro))
        blocks += [(f'{name}, field "{f.key}"', f.hint) for f in section.fields if f.hint]
    blocks += [(f'message "{key}"', text) for key, text in notes.messages.items()]
    return [(where, text) for where, text in blocks if text]


def notes_findings(content: Content) -> list[Finding]:
    """The missing sheet's steps exist (a dead address would leave the sheet without its steps)."""
    notes = content.notes
    if notes is None:
        return []
    findings = []
    for address in notes.steps:
        topic_id, _, step_id = address.partition("/")
        topic = content.topics.get(topic_id)
        if topic is None or topic.step_index(step_id) is None:
            findings.append(
                Finding("error", NOTES_PATH, "missing_sheet", f'the step "{address}" does not exist in content/topics/')
            )
    return findings


def sheet_steps(content: Content) -> list[str]:
    """The raw texts (references not yet filled in) of the missing topic's steps the sheet repeats."""
    texts = []
    for address in content.notes.steps if content.notes else ():
        topic_id, _, step_id = address.partition("/")
        topic = content.topics.get(topic_id)
        index = topic.step_index(step_id) if topic else None
        if topic is not None and index is not None:
            texts.append(topic.steps[index].text)
    return texts
