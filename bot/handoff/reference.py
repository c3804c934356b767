"""Referral reference codes a parent can read out over the phone ("ACDE-FG34").

The alphabet leaves out characters that are easily confused when read or heard:
0/O, 1/I/L, 5/S, 2/Z and 8/B.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
LENGTH = 8
PATTERN = rf"^[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}$"

_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]+")  # spaces, hyphens and the dashes phones type
_VALID = re.compile(rf"[{ALPHABET}]{{{LENGTH}}}")


def _format(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def new_reference() -> str:
    """A new random reference, e.g. "ACDE-FG34" (25^8, about 1.5e11, possible codes)."""
    return _format("".join(secrets.choice(ALPHABET) for _ in range(LENGTH)))


def normalise_reference(text: str) -> str | None:
    """The canonical "ABCD-EFGH" form of a typed reference, or None if it is not a valid code.

    Lower case, spaces and a missing or misplaced hyphen are accepted; ambiguous characters are not
    guessed at (an "O" could be a mistyped "0" or "Q").
    """
    if not isinstance(text, str):
        return None
    code = _SEPARATORS.sub("", text).upper()
    if not _VALID.fullmatch(code):
        return None
    return _format(code)
