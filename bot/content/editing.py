"""Changing content files from the editors' workspace: the same files, the same checks, written atomically.

An edit is made to the file's text with a round-trip YAML parser (ruamel.yaml), so comments, order and
layout stay as a programmer left them. Before anything is written, the changed file is put into a copy of
the content folder and loaded and checked there with the same loader and check as the live content
(bot.content.loader, bot.content.check): a change that would not load, that breaks a reference or a
button, or that adds a new error, is refused with the reasons, and the live file is not touched. Only
then is the file replaced, by writing a temporary file beside it and renaming it over the old one.
"""

from __future__ import annotations

import difflib
import io
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml as pyyaml
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import LiteralScalarString

from bot.content.check import check_content, structural_findings
from bot.content.loader import load_content
from bot.content.models import Content, Finding, Labels, ReferralNeeds, fill
from bot.content.reading import has_hidden_characters
from bot.content.render import references_in
from bot.content.words import SERVICE_FIELDS, WordedError
from bot.safety.detector import LexiconError, load_lexicon
from bot.safety.intents import SAFETY_INTENTS

MESSAGES_FILE = "messages.yml"
LEXICON_FILE = "safety/lexicon.yml"
# Safety replies (messages.yml) and the lexicon: only admins change these, and every change is audited.
SAFETY_FILES = frozenset({MESSAGES_FILE, LEXICON_FILE})
MAX_FILE_CHARS = 400_000


EDIT_ERRORS = "edit_errors"  # the sections of content/staff.yml that word an EditError and the boxes it names
EDIT_BOXES = "edit_boxes"


class EditError(WordedError):
    """The edit cannot be made at all (no such step, a box too long): `key` names the words in content/staff.yml
    `edit_errors:` that say why; a `box` value is the key of the box's name in `edit_boxes:` (`edit_words`)."""


def edit_words(words: Labels, error: EditError) -> str:
    """Why an edit cannot be made, in the words of content/staff.yml (ContentStore.staff_words)."""
    values = dict(error.values)
    if "box" in values:
        values["box"] = words[EDIT_BOXES][str(values["box"])]
    return fill(words[EDIT_ERRORS][error.key], **values)


@dataclass(frozen=True)
class Outcome:
    """What checking a changed file found: `refused` stops the save; `warnings` are shown either way."""

    refused: list[Finding]
    warnings: list[Finding]

    @property
    def ok(self) -> bool:
        return not self.refused


def _yaml() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap an editor's long lines
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def content_file(root: Path, relative: str) -> Path:
    """The path of a content file named relative to the folder; EditError for anything outside it."""
    if not relative or "\\" in relative or "\0" in relative or relative.startswith("/") or not relative.endswith(".yml"):
        raise EditError("not_a_file")
    parts = relative.split("/")
    if any(part in ("", ".", "..") or part.startswith(".") for part in parts):
        raise EditError("not_a_file")
    path = (root / relative).resolve()
    if root.resolve() not in path.parents or not path.is_file():
        raise EditError("no_such_file")
    return path


def content_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.yml") if not any(s.startswith(".") for s in p.parts))


def _load(text: str) -> Any:
    try:
        return _yaml().load(text)
    except YAMLError as exc:
        raise EditError("not_yaml", detail=exc) from None


def _dump(data: Any) -> str:
    out = io.StringIO()
    _yaml().dump(data, out)
    return out.getvalue()


def clean_text(text: str, *, max_chars: int, box: str) -> str:
    """An editor's text: line endings made plain, trailing spaces off; refused when hidden characters are in it.
    `box` is the key of the box's name (content/staff.yml `edit_boxes:`), for the refusal."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(line.rstrip() for line in text.split("\n")).strip()
    if len(text) > max_chars:
        raise EditError("too_long", box=box, count=len(text), max=max_chars)
    if has_hidden_characters(text):
        raise EditError("invisible", box=box)
    return text


def _block(text: str) -> str | LiteralScalarString:
    return LiteralScalarString(text + "\n") if "\n" in text else text


def set_step(body: str, step_id: str, *, text: str, more: str) -> tuple[str, str]:
    """The topic file with one step's text and "Tell me more" changed; and a few words on what changed."""
    data = _load(body)
    steps = data.get("steps") if isinstance(data, dict) else None
    step = next((s for s in steps or [] if isinstance(s, dict) and str(s.get("id")) == step_id), None)
    if step is None:
        raise EditError("no_step", step=step_id)
    changed = []
    if (str(step.get("text") or "")).strip() != text:
        step["text"] = _block(text)
        changed.append("text")
    if (str(step.get("more") or "")).strip() != more:
        if more:
            step["more"] = _block(more)
        elif "more" in step:
            del step["more"]
        changed.append("tell me more")
    return _dump(data), f'step "{step_id}": ' + (" and ".join(changed) or "no change")


def set_service(body: str, service_id: str, values: Mapping[str, str]) -> tuple[str, str]:
    """services.yml with one service's fields set (an empty value removes an optional field)."""
    data = _load(body)
    entries = data.get("services") if isinstance(data, dict) else None
    entry = next((e for e in entries or [] if isinstance(e, dict) and str(e.get("id")) == service_id), None)
    if entry is None:
        raise EditError("no_service", service=service_id)
    changed = []
    for name in SERVICE_FIELDS:
        if name not in values:
            continue
        new = values[name]
        old = entry.get(name)
        old_text = old.isoformat() if isinstance(old, date) else ("" if old is None else str(old).strip())
        if new == old_text:
            continue
        changed.append(name)
        if not new:
            entry.pop(name, None)
        elif name == "verified":
            try:
                entry[name] = date.fromisoformat(new)
            except ValueError:
                raise EditError("verified_date") from None
        else:
            entry[name] = _block(new)
    return _dump(data), f'service "{service_id}": ' + (", ".join(changed) or "no change")


def set_message(body: str, message_id: str, text: str) -> tuple[str, str]:
    """messages.yml with one message's text changed."""
    data = _load(body)
    messages = data.get("messages") if isinstance(data, dict) else None
    entry = messages.get(message_id) if isinstance(messages, dict) else None
    if not isinstance(entry, dict):
        raise EditError("no_message", message=message_id)
    entry["text"] = _block(text)
    return _dump(data), f'message "{message_id}": text'


def _findings_of(root: Path, needs: ReferralNeeds | None, today: date) -> tuple[Content, list[Finding], list[Finding]]:
    content, load_findings = load_content(root)
    blocking = [f for f in load_findings + structural_findings(content, needs) if f.is_error]
    return content, blocking, check_content(content, load_findings, today, needs)


def _safety_reply_findings(before: Content, after: Content, file: str) -> list[Finding]:
    """A safety reply (a message built into the model) may be reworded, but must keep every number it gave."""
    findings = []
    for message_id, old in before.messages.items():
        if not old.domain_response:
            continue
        new = after.messages.get(message_id)
        lost = set(references_in(old.text)) - set(references_in(new.text) if new else ())
        if lost:
            names = ", ".join("{{" + name + "}}" for name in sorted(lost))
            findings.append(
                Finding("error", file, f'message "{message_id}"', f"a safety reply must keep what it gives: put back {names}")
            )
    return findings


def _lexicon_findings(path: Path, file: str) -> list[Finding]:
    """The changed lexicon loads, and still has patterns for every kind of danger."""
    try:
        lexicon = load_lexicon(path)
    except (LexiconError, pyyaml.YAMLError, AttributeError, TypeError, ValueError) as exc:
        return [Finding("error", file, "", f"the lexicon does not load: {exc}")]
    missing = set(SAFETY_INTENTS) - {t.intent for t in lexicon.types}
    if missing:
        return [Finding("error", file, "", f"no patterns left for: {', '.join(sorted(missing))}")]
    return []


def check_change(root: Path, relative: str, new_body: str, needs: ReferralNeeds | None, today: date) -> Outcome:
    """Load and check the content folder with `relative` replaced by `new_body`, in a copy (the live one is untouched).

    Refused: anything that stops the live content loading (as bot.content.store would refuse it), and any
    error the full content check finds that it did not find before the change. New warnings are told.
    """
    if len(new_body) > MAX_FILE_CHARS:
        return Outcome([Finding("error", relative, "", f"the file would be over {MAX_FILE_CHARS} characters")], [])
    with tempfile.TemporaryDirectory(prefix="content-check-") as tmp:
        copy = Path(tmp) / root.name  # the same folder name, so findings name files as the live check does
        shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".*"))
        old_content, _, before = _findings_of(copy, needs, today)
        (copy / relative).write_text(new_body, encoding="utf-8")
        new_content, blocking, after = _findings_of(copy, needs, today)
        shown_file = f"{root.name}/{relative}"
        if relative == MESSAGES_FILE:
            blocking += _safety_reply_findings(old_content, new_content, shown_file)
        if relative == LEXICON_FILE:
            blocking += _lexicon_findings(copy / relative, shown_file)
    old = {(f.file, f.where, f.message) for f in before}
    new_errors = [f for f in after if f.is_error and (f.file, f.where, f.message) not in old]
    refused = list(dict.fromkeys(blocking + new_errors))
    warnings = [f for f in after if not f.is_error and (f.file, f.where, f.message) not in old]
    return Outcome(refused, warnings)


def write_atomically(path: Path, text: str) -> None:
    """Write a temporary file beside `path`, then rename it over `path`: a reader sees the old file or the new one."""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def diff(old: str, new: str, old_name: str, new_name: str) -> list[tuple[str, str]]:
    """A unified diff as (kind, line) pairs for the page: kind is add, remove, hunk or same."""
    lines = []
    for line in difflib.unified_diff(old.splitlines(), new.splitlines(), old_name, new_name, lineterm="", n=2):
        if line.startswith(("+++", "---")):
            continue
        kind = "hunk" if line.startswith("@@") else "add" if line.startswith("+") else "remove" if line.startswith("-") else "same"
        lines.append((kind, line))
    return lines
