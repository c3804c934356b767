"""Phrases to avoid (content/style/avoid.yml): loading the editable list, and finding the phrases in text.

Matching ignores what an editor cannot see or would not mean to differ: capitals, curly quotes and
apostrophes, runs of spaces and line breaks, non-breaking spaces and zero-width characters.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.content.models import AvoidPhrase, Finding
from bot.content.reading import Collector, has_hidden_characters, read_yaml

STYLE_FILE = "style/avoid.yml"  # inside the content folder
MAX_PHRASES = 500
MAX_PHRASE_CHARS = 80
MAX_SUGGESTION_CHARS = 300
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201b": "'", "\u2032": "'", "`": "'"})
_QUOTES.update(str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"'}))


@lru_cache(maxsize=4096)
def normalise(text: str) -> str:
    """Text as the matcher compares it: NFKC, casefolded, straight quotes, no invisible characters, one space."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).casefold()
    text = "".join(" " if ch.isspace() else ch for ch in text if ch.isspace() or unicodedata.category(ch) not in ("Cc", "Cf"))
    return re.sub(r"\s+", " ", text).strip()


@lru_cache(maxsize=1024)
def _pattern(phrase: str) -> re.Pattern[str]:
    words = [re.escape(word) for word in phrase.split(" ")]
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)")


def avoided_in(text: str, phrases: tuple[AvoidPhrase, ...]) -> list[AvoidPhrase]:
    """The phrases from the list that `text` uses, in list order.

    A phrase found only inside a longer listed phrase ("stay calm" in "try to stay calm") is left out,
    so one slip gets one warning.
    """
    return list(_avoided_in(text, phrases))


@lru_cache(maxsize=8192)
def _avoided_in(text: str, phrases: tuple[AvoidPhrase, ...]) -> tuple[AvoidPhrase, ...]:
    """Kept per text and list: an editor's save checks the content twice (before and after the change), and
    every text but the one changed was matched the time before (the matching was most of a save's time)."""
    plain = normalise(text)
    claimed: list[tuple[int, int]] = []
    found: set[str] = set()
    for phrase in sorted(phrases, key=lambda p: -len(p.phrase)):
        spans = [m.span() for m in _pattern(phrase.phrase).finditer(plain)]
        fresh = [span for span in spans if not any(a <= span[0] and span[1] <= b for a, b in claimed)]
        if fresh:
            found.add(phrase.phrase)
            claimed.extend(fresh)
    return tuple(phrase for phrase in phrases if phrase.phrase in found)


def _text(raw: dict[str, Any], key: str, limit: int, where: str, file: str, findings: list[Finding]) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        findings.append(Finding("error", file, where, f'missing "{key}" (text)'))
        return ""
    if has_hidden_characters(value.strip()):
        findings.append(Finding("error", file, where, f'"{key}" contains invisible control characters; retype it'))
        return ""
    if len(value.strip()) > limit:
        findings.append(Finding("error", file, where, f'"{key}" is {len(value.strip())} characters; keep it under {limit}'))
        return ""
    return value.strip()


def load_avoid(path: Path, file: str) -> tuple[tuple[AvoidPhrase, ...], list[Finding]]:
    """The list of phrases to avoid; problems come back as located findings, never exceptions."""
    collector = Collector(file)
    data = read_yaml(path, collector)
    if collector.findings:
        return (), collector.findings
    findings: list[Finding] = []
    entries = data.get("phrases") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return (), [Finding("error", file, "", 'the file needs a "phrases:" list')]
    if len(entries) > MAX_PHRASES:
        return (), [Finding("error", file, "", f"{len(entries)} phrases is too many to check; keep it under {MAX_PHRASES}")]
    phrases: list[AvoidPhrase] = []
    seen: set[str] = set()
    for index, raw in enumerate(entries, start=1):
        where = f"phrase {index}"
        if not isinstance(raw, dict):
            findings.append(Finding("error", file, where, "each entry needs a phrase and a suggestion"))
            continue
        phrase = _text(raw, "phrase", MAX_PHRASE_CHARS, where, file, findings)
        suggestion = _text(raw, "suggestion", MAX_SUGGESTION_CHARS, where, file, findings)
        if not phrase or not suggestion:
            continue
        key = normalise(phrase)
        where = f'phrase "{phrase}"'
        if sum(ch.isalpha() for ch in key) < 2:
            findings.append(Finding("error", file, where, "a phrase needs at least two letters"))
        elif key in seen:
            findings.append(Finding("error", file, where, "this phrase is listed twice"))
        else:
            seen.add(key)
            phrases.append(AvoidPhrase(phrase=key, suggestion=suggestion))
    return tuple(phrases), findings
