"""Reading one content file: YAML problems and field problems become located findings, never exceptions."""

from __future__ import annotations

import pickle
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.content.models import Finding


class Collector:
    """Gathers findings for one file."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.findings: list[Finding] = []

    def error(self, where: str, message: str) -> None:
        self.findings.append(Finding("error", self.file, where, message))

    def required_text(self, data: dict[str, Any], key: str, where: str) -> str:
        value = data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            self.error(where, f'missing field "{key}"')
            return ""
        if not isinstance(value, (str, int, float)):
            self.error(where, f'field "{key}" should be text')
            return ""
        return str(value).strip()


# libyaml's parser where PyYAML was built with it (the wheels are): the same safe YAML, several times faster.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str) -> Any:
    """PyYAML's safe parse (plain data only: no tags that build objects)."""
    return yaml.load(text, Loader=SAFE_LOADER)  # noqa: S506 (a safe loader)


MAX_KEPT_CHARS = 1_000_000  # an oversized file is parsed every time rather than held in memory


@lru_cache(maxsize=512)
def _parsed(text: str) -> bytes:
    """PyYAML's safe parse of `text`, kept (pickled: unpickling is a fresh copy, several times faster than
    copy.deepcopy): a reload parses only the files that changed (even libyaml takes a while over the shipped
    content; every web app and store loads it). Only our own parse is ever unpickled."""
    return pickle.dumps(parse_yaml(text), protocol=pickle.HIGHEST_PROTOCOL)


def read_yaml(path: Path, collector: Collector) -> Any:
    """The file's data (a fresh copy, the caller's to change), or None with the problem in the collector.

    Invalid YAML is never kept, so its problem (and line, where known) is found again on every read.
    """
    try:
        text = path.read_text(encoding="utf-8")
        return pickle.loads(_parsed(text)) if len(text) <= MAX_KEPT_CHARS else parse_yaml(text)  # noqa: S301
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}" if mark else ""
        collector.error(line, f"this is not valid YAML ({getattr(exc, 'problem', exc)})")
    except UnicodeDecodeError:
        collector.error("", "the file is not saved as UTF-8 text")
    return None


# Printable ASCII, new lines and tabs are never hidden: only the other characters need their category looked up.
_NOT_PLAIN = re.compile(r"[^\x20-\x7e\n\t]")


def has_hidden_characters(value: str) -> bool:
    """Control or format characters (zero-width, bidi overrides) that would hide or reorder text."""
    return any(unicodedata.category(ch) in ("Cc", "Cf") for ch in _NOT_PLAIN.findall(value))


def text_field(collector: Collector, raw: Any, key: str, where: str, limit: int, required: bool = True) -> str | None:
    """`raw[key]` as trimmed text of at most `limit` characters, or None with the problem collected."""
    value = raw.get(key) if isinstance(raw, dict) else None
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            collector.error(where, f'missing field "{key}"')
        return None
    if not isinstance(value, str):
        collector.error(where, f'"{key}" should be text')
        return None
    value = value.strip()
    if has_hidden_characters(value):
        collector.error(where, f'"{key}" contains invisible control characters; retype it')
        return None
    if len(value) > limit:
        collector.error(where, f'"{key}" is {len(value)} characters long; keep it under {limit}')
        return None
    return value
