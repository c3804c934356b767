"""Number plates, phone numbers, dates and times written the standard way; anything else kept as typed.

Nothing is ever rejected: a parent writes what they saw, and a half-remembered plate is still worth
keeping. Only what is recognised is rewritten.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

import phonenumbers

from bot.content.models import fill
from bot.content.words import DAYS, MONTHS

# Current plates (2001 on): two letters, two digits, three letters: AB12 CDE, with or without the space.
_CURRENT = re.compile(r"\b([A-Z]{2}[0-9]{2}) ?([A-Z]{3})\b", re.IGNORECASE)
# Older plates, only when typed without the space (with one, "M62 and" would become a plate):
# prefix (1983-2001) A123 BCD, suffix (1963-1983) ABC 123D.
_PREFIX = re.compile(r"\b([A-Z][0-9]{1,3})([A-Z]{3})\b", re.IGNORECASE)
_SUFFIX = re.compile(r"\b([A-Z]{3})([0-9]{1,3}[A-Z])\b", re.IGNORECASE)

_PHONE_CHARACTERS = re.compile(r"^[0-9 +()-]+$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_UK_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})$")
_TIME = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")


def _plate(match: re.Match[str]) -> str:
    return f"{match.group(1).upper()} {match.group(2).upper()}"


def normalise_plates(text: str) -> str:
    """UK number plates in `text` in capitals with the standard space ("ab12cde" -> "AB12 CDE")."""
    for pattern in (_CURRENT, _PREFIX, _SUFFIX):
        text = pattern.sub(_plate, text)
    return text


def format_phones(text: str) -> str:
    """Phone numbers in `text` written the standard way: UK ones as dialled here ("07700 900123",
    "020 7946 0018"), others in international form. Whatever is not a valid number stays as typed."""
    pieces: list[str] = []
    position = 0
    for match in phonenumbers.PhoneNumberMatcher(text, "GB", leniency=phonenumbers.Leniency.VALID):
        if not _PHONE_CHARACTERS.match(match.raw_string):
            continue  # "01234/5678/25" may be a reference number: only plain digits and spaces are rewritten
        number = match.number
        style = (
            phonenumbers.PhoneNumberFormat.NATIONAL
            if number.country_code == 44
            else phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
        pieces += [text[position : match.start], phonenumbers.format_number(number, style)]
        position = match.end
    pieces.append(text[position:])
    return "".join(pieces)


def parse_date(text: str) -> date | None:
    """A date from the widget's date box (2025-12-01) or typed the UK way (1/12/2025, 1.12.25)."""
    text = text.strip()
    if match := _ISO_DATE.match(text):
        year, month, day = (int(part) for part in match.groups())
    elif match := _UK_DATE.match(text):
        day, month, year = (int(part) for part in match.groups())
        if year < 100:
            year += 2000
    else:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def readable_date(text: str, words: Mapping[str, str]) -> str:
    """ "Monday 1 December 2025" for a date that can be read, in the words of content/web.yml `widget_notes:`
    (entry_date, day_monday, month_december: the widget writes its headings with the same); otherwise the
    text as typed."""
    parsed = parse_date(text)
    if parsed is None:
        return text.strip()
    weekday, month = words[f"day_{DAYS[parsed.isoweekday() % 7]}"], words[f"month_{MONTHS[parsed.month - 1]}"]
    return fill(words["entry_date"], weekday=weekday, day=parsed.day, month=month, year=parsed.year)


def parse_time(text: str) -> tuple[int, int] | None:
    if match := _TIME.match(text.strip()):
        return int(match.group(1)), int(match.group(2))
    return None


def readable_time(text: str) -> str:
    """ "14:05" for a time that can be read (24-hour, as the police write it); otherwise as typed."""
    parsed = parse_time(text)
    return f"{parsed[0]:02d}:{parsed[1]:02d}" if parsed else text.strip()


def time_order_key(day: str, time: str, position: int) -> tuple[int, date, tuple[int, int], int]:
    """Entries in time order: dated ones first by date and time (an entry with no time first on its
    day), then undated ones in the order they were written."""
    parsed = parse_date(day)
    if parsed is None:
        return (1, date.max, (0, 0), position)
    return (0, parsed, parse_time(time) or (-1, 0), position)
