"""Cleaning text that enters from outside: the one place that decides which characters carry meaning.

Used wherever text enters (the web relay, the NLU pipeline's first component, the safety lexicon
matcher and the self-referral answers), so that a zero-width space or a soft hyphen inside "danger"
can never hide a word from the safety net or the model.
"""

from __future__ import annotations

import re
import unicodedata

# Control characters other than tab and newline: they carry no meaning in a chat message.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

# Characters that show nothing but are not Unicode format characters (category Cf): the combining
# grapheme joiner and the Hangul fillers, which render as blanks and can split a word unseen.
_INVISIBLE_OTHER = frozenset("\u034f\u115f\u1160\u3164\uffa0")

# What emoji need: the zero-width joiner between two emoji (family, profession sequences), and the tag
# characters that spell a subdivision flag after the black flag (England, Scotland, Wales).
_ZWJ = "\u200d"
_FLAG_SEQUENCE = re.compile("\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f")


def _invisible(char: str) -> bool:
    return unicodedata.category(char) == "Cf" or char in _INVISIBLE_OTHER


def _emoji_part(char: str) -> bool:
    """A pictograph, a skin-tone modifier, or the variation selector that asks for emoji style."""
    return unicodedata.category(char) in ("So", "Sk") or char == "\ufe0f"


def _strip_run(text: str) -> str:
    """Drop invisible characters from text that holds no flag sequence."""
    visible = [char for char in text if char == _ZWJ or not _invisible(char)]
    kept: list[str] = []
    for index, char in enumerate(visible):
        if char == _ZWJ:
            after = visible[index + 1] if index + 1 < len(visible) else ""
            # Between two emoji it joins them (a family, a profession); anywhere else it only hides a word.
            if not (kept and _emoji_part(kept[-1]) and after and unicodedata.category(after) == "So"):
                continue
        kept.append(char)
    return "".join(kept)


def strip_invisible(text: str) -> str:
    """Remove Unicode format characters (zero-width spaces, soft hyphens, direction marks and overrides,
    word joiners, byte order marks) and other blanks that hide inside words, keeping what emoji need."""
    if text.isascii():
        return text
    pieces: list[str] = []
    position = 0
    for flag in _FLAG_SEQUENCE.finditer(text):
        pieces.append(_strip_run(text[position : flag.start()]))
        pieces.append(flag.group(0))
        position = flag.end()
    pieces.append(_strip_run(text[position:]))
    return "".join(pieces)


def clean_message(text: str) -> str:
    """Unpaired surrogates replaced, NFC, control and invisible characters removed, trimmed."""
    text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    text = unicodedata.normalize("NFC", text)
    return strip_invisible(_CONTROL.sub("", text)).strip()
