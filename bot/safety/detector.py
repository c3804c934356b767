"""Match a message against the safety lexicon (content/safety/lexicon.yml).

Negation ("he's not in danger now") and quotation (a parent quoting a film or a message) are
handled here so that editors only write the positive phrases.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.text import clean_message

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201b": "'", "\u2032": "'", "`": "'",
                         "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"'})
_QUOTED = re.compile(r'"[^"]{1,300}"')
# Where one clause ends and the next begins: negation does not reach across these.
_CLAUSE_BREAK = re.compile(r"[.!?;,:\n]|\b(?:but|and|because|cos|so|though|although)\b")
_WORD = re.compile(r"[a-z']+|n't")


@dataclass(frozen=True)
class SafetyType:
    name: str
    intent: str
    priority: int
    patterns: tuple[re.Pattern[str], ...]
    ignore_quoted: bool
    # A match does not count where its clause also matches one of these ("when she goes missing").
    not_in_clause_with: tuple[re.Pattern[str], ...] = ()
    # A match does not count where the message says the danger is over ("she's home now, asleep upstairs")
    # and nothing in it says it is happening still ("tonight", "again", "right now").
    settled_when: tuple[re.Pattern[str], ...] = ()
    unless_still: tuple[re.Pattern[str], ...] = ()

    def settled(self, text: str) -> bool:
        return any(p.search(text) for p in self.settled_when) and not any(p.search(text) for p in self.unless_still)


@dataclass(frozen=True)
class Lexicon:
    types: tuple[SafetyType, ...]
    negation_words: frozenset[str]
    negation_window: int


@dataclass(frozen=True)
class Detection:
    type: str
    intent: str
    pattern: str
    matched: str


class LexiconError(ValueError):
    """The lexicon file is malformed; the message says where."""


def _compile(patterns: list[object], where: str) -> tuple[re.Pattern[str], ...]:
    compiled = []
    for index, pattern in enumerate(patterns, start=1):
        try:
            compiled.append(re.compile(str(pattern)))
        except re.error as exc:
            raise LexiconError(f"{where}, pattern {index}: {exc}") from exc
    return tuple(compiled)


def load_lexicon(path: Path) -> Lexicon:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    types = []
    for name, spec in (data.get("types") or {}).items():
        compiled = _compile(spec.get("patterns") or [], f"{path.name}: {name}")
        if not compiled:
            raise LexiconError(f"{path.name}: {name} has no patterns")
        types.append(
            SafetyType(
                name=name,
                intent=str(spec.get("intent") or name),
                priority=int(spec.get("priority", 99)),
                patterns=compiled,
                ignore_quoted=bool(spec.get("ignore_quoted")),
                not_in_clause_with=_compile(
                    spec.get("not_in_clause_with") or [], f"{path.name}: {name}, not_in_clause_with"
                ),
                settled_when=_compile(spec.get("settled_when") or [], f"{path.name}: {name}, settled_when"),
                unless_still=_compile(spec.get("unless_still") or [], f"{path.name}: {name}, unless_still"),
            )
        )
    negation = data.get("negation") or {}
    words = frozenset(str(w).replace("'", "") for w in negation.get("words") or [])
    return Lexicon(tuple(sorted(types, key=lambda t: t.priority)), words, int(negation.get("window", 3)))


# Contractions typed without the apostrophe ("hes been stabbed", "theyve taken her"), put back so that
# patterns written as he's / he'?s match them. Only words that cannot be anything else: not ill, its,
# were, well, shed, hell, id.
_CONTRACTIONS = {
    **{word: word[:-1] + "'" + word[-1] for word in ("hes", "shes", "thats", "whats", "theres", "im")},
    **{word: word[:-2] + "'" + word[-2:] for word in ("theyre", "theyve", "weve", "youre", "ive", "theyll", "youll")},
    **{
        word: word[:-2] + "n't"
        for word in ("isnt", "arent", "wasnt", "werent", "dont", "doesnt", "didnt", "hasnt")
        + ("havent", "hadnt", "cant", "couldnt", "wouldnt", "shouldnt", "wont", "aint")
    },
}
_CONTRACTION_WORD = re.compile(r"\b(" + "|".join(_CONTRACTIONS) + r")\b")


def tidy(text: str) -> str:
    """Lower case, straight quotes, apostrophes put back, single spaces: the form patterns are written against."""
    text = unicodedata.normalize("NFKC", clean_message(text)).translate(_QUOTES).lower()
    text = _CONTRACTION_WORD.sub(lambda m: _CONTRACTIONS[m.group(0)], text)
    return re.sub(r"\s+", " ", text).strip()


def _clause_start(text: str, start: int) -> int:
    breaks = [m.end() for m in _CLAUSE_BREAK.finditer(text[:start])]
    return breaks[-1] if breaks else 0


def _clause_end(text: str, end: int) -> int:
    found = _CLAUSE_BREAK.search(text, end)
    return found.start() if found else len(text)


def _negated(text: str, start: int, lexicon: Lexicon) -> bool:
    words = _WORD.findall(text[_clause_start(text, start) : start])[-lexicon.negation_window :]
    return any(w.endswith("n't") or w.replace("'", "") in lexicon.negation_words for w in words)


def _qualified_away(text: str, match: re.Match[str], safety_type: SafetyType) -> bool:
    """The match sits in a clause that makes it a habit or a what-if, not something happening now."""
    if not safety_type.not_in_clause_with:
        return False
    clause = text[_clause_start(text, match.start()) : _clause_end(text, match.end())]
    return any(pattern.search(clause) for pattern in safety_type.not_in_clause_with)


def _scan(message: str, lexicon: Lexicon, *, negated: bool) -> list[Detection]:
    text = tidy(message)
    unquoted = _QUOTED.sub(lambda m: " " * len(m.group(0)), text)
    found: list[Detection] = []
    for safety_type in lexicon.types:
        haystack = unquoted if safety_type.ignore_quoted else text
        for pattern in safety_type.patterns:
            match = next(
                (
                    m
                    for m in pattern.finditer(haystack)
                    if _negated(haystack, m.start(), lexicon) == negated and not _qualified_away(haystack, m, safety_type)
                ),
                None,
            )
            if match:
                # Told as over: the model and the topic answer it (a doubt still gets the check question).
                # Looked at only once a pattern matches, so an ordinary message costs no extra scan.
                if negated or not safety_type.settled(haystack):
                    found.append(Detection(safety_type.name, safety_type.intent, pattern.pattern, match.group(0)))
                break
    return found


def detect(message: str, lexicon: Lexicon) -> list[Detection]:
    """Every safety type the message matches, most urgent first (one detection per type)."""
    return _scan(message, lexicon, negated=False)


def negated_types(message: str, lexicon: Lexicon) -> set[str]:
    """Types the message mentions only in the negative ("she's not missing any more")."""
    positive = {d.type for d in detect(message, lexicon)}
    return {d.type for d in _scan(message, lexicon, negated=True)} - positive
