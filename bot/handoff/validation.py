"""Turn what a parent typed (or a button's payload value) into the normalised answers of the hand-off form.

Every validator is a pure function `str -> Validated`. A validator never raises on odd input: it returns
either a normalised value, an error code (the wording for each code lives in content/), or a skip.
Words are matched on a folded form of the text (NFKC, case-folded, apostrophes dropped, "yesss" -> "yes"),
so curly quotes, full-width characters and emoji do no harm. Negation ("not the police", "any time but
mornings") is looked for a few words before a match, not across a clause break ("," "and" "but").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from phonenumbers import NumberParseException, PhoneNumberType

from bot.text import clean_message

__all__ = [
    "ERROR_CODES",
    "ERROR_MEANINGS",
    "VALIDATORS",
    "Validated",
    "is_skip",
    "validate_agencies",
    "validate_area",
    "validate_best_times",
    "validate_child_age",
    "validate_concerns",
    "validate_contact_email",
    "validate_contact_method",
    "validate_contact_phone",
    "validate_crime_reference",
    "validate_help_wanted",
    "validate_nation",
    "validate_preferred_name",
    "validate_relationship",
    "validate_yes_no",
]

# Error codes, each with what it means (the words a parent sees for each are in content/referral.yml,
# `re_ask:`, keyed by these codes).
ERROR_MEANINGS: dict[str, str] = {
    "empty": "nothing was left once spaces and invisible characters were removed",
    "name_unclear": "the name has no letters in it",
    "name_too_long": "the name is longer than 40 characters",
    "contact_method_unclear": "no (or no un-negated) choice of phone, text or email was found",
    "phone_unclear": "no phone number was found in the message",
    "phone_not_uk": "the number is not a UK (+44) number",
    "phone_too_short": "the number has too few digits",
    "phone_too_long": "the number has too many digits",
    "phone_invalid": "a UK number of the right length, but not one in use (a typo?)",
    "phone_service_number": "a freephone, premium-rate, shared-cost or 03 number, not a personal one",
    "phone_not_mobile": "texts were asked for, but the number is a landline (only with mobile_only=True)",
    "phone_more_than_one": "the message holds more than one phone number",
    "email_invalid": "not an email address that could be written to",
    "email_more_than_one": "the message holds more than one email address",
    "yes_no_unclear": "neither a clear yes nor a clear no (or both)",
    "times_unclear": "no time of day was recognised",
    "nation_unclear": "neither England nor Wales (nor somewhere else) was recognised, or both were",
    "outside_england_wales": "the parent lives in Scotland, Northern Ireland or outside the UK",
    "area_unclear": "the area is shorter than 2 or longer than 60 characters, or has no letters",
    "relationship_unclear": "the answer has no letters in it",
    "age_unclear": "no age was found",
    "age_out_of_range": "an age outside 0-24",
    "concerns_unclear": "no kind of exploitation (or \"not sure\") was recognised",
    "agencies_unclear": "no agency (or \"nobody\") was recognised",
    "crime_reference_unclear": "not a reference: longer than 30 characters, other characters, or no digits",
    "too_long": "the free-text answer is longer than 600 characters",
}
ERROR_CODES = frozenset(ERROR_MEANINGS)

NAME_MAX_CHARS = 40
AREA_MIN_CHARS, AREA_MAX_CHARS = 2, 60
CRIME_REFERENCE_MAX_CHARS = 30
HELP_WANTED_MAX_CHARS = 600
AGE_MIN, AGE_MAX = 0, 24


@dataclass(frozen=True)
class Validated:
    value: object  # the normalised value; None means "prefer not to say" (or an error)
    error: str | None = None  # an error CODE from ERROR_CODES, never wording
    skipped: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


SKIPPED = Validated(None, skipped=True)


def _error(code: str) -> Validated:
    assert code in ERROR_CODES, code
    return Validated(None, error=code)


# --- cleaning -------------------------------------------------------------------------------------

_ANGLE_BRACKETS = re.compile(r"[<>\uff1c\uff1e\ufe64\ufe65\u2039\u203a\u3008\u3009\u27e8\u27e9]")
_APOSTROPHES = str.maketrans("", "", "'\u2018\u2019\u201b\u02bc\u2032`\u00b4")
_LONG_RUN = re.compile(r"([^\W\d_])\1{2,}")  # "yesss" -> "yes", "nooo" -> "no"; digits are left alone
_TOKEN = re.compile(r"[^\W_]+|[,.;:!?]")


def _as_text(value: object) -> str:
    """Slots can hold non-strings (a bool from a button, None): treat them as the text they show."""
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _clean(text: object) -> str:
    """clean_message (invisible characters removed), then all whitespace collapsed to single spaces."""
    return " ".join(clean_message(_as_text(text)).split())


def _clean_plain(text: object) -> str:
    """_clean, with markup-looking angle brackets dropped (the text between them is kept)."""
    return " ".join(_ANGLE_BRACKETS.sub("", _clean(text)).split())


def _fold(text: object) -> str:
    """The form that words are matched on: NFKC, case-folded, no apostrophes, long letter runs squeezed."""
    folded = unicodedata.normalize("NFKC", _clean(text)).casefold().translate(_APOSTROPHES)
    return _LONG_RUN.sub(r"\1", folded.replace("_", " ").replace("&", " and "))


def _tokens(text: object) -> list[str]:
    return _TOKEN.findall(_fold(text))


# --- phrase matching ------------------------------------------------------------------------------

# fmt: off
_BREAKS = frozenset(
    {",", ".", ";", ":", "!", "?", "and", "but", "also", "though", "although", "because", "cos", "so", "then"}
)
_NEGATORS = frozenset(
    {"not", "no", "never", "dont", "doesnt", "didnt", "havent", "hasnt", "hadnt", "wont", "isnt", "arent",
     "wasnt", "werent", "cant", "without", "nor", "neither"}
)
_POST_NEGATORS = frozenset(
    {"not", "never", "isnt", "arent", "wasnt", "werent", "havent", "hasnt", "hadnt", "didnt", "dont", "doesnt", "wont"}
)
# fmt: on
_NEGATION_WINDOW = 3


@dataclass(frozen=True)
class _Hit:
    label: str
    start: int
    end: int
    negated: bool


def _lexicon(phrases_by_label: Mapping[str, Iterable[str]]) -> dict[tuple[str, ...], str]:
    return {tuple(phrase.split()): label for label, phrases in phrases_by_label.items() for phrase in phrases}


def _scan(
    tokens: list[str],
    lexicon: Mapping[tuple[str, ...], str],
    negators: frozenset[str] = _NEGATORS,
    post_negation: bool = False,
) -> list[_Hit]:
    """Longest-first, left-to-right phrase matches, each marked negated or not."""
    longest = max(len(phrase) for phrase in lexicon)
    spans: list[tuple[str, int, int]] = []
    i = 0
    while i < len(tokens):
        for size in range(min(longest, len(tokens) - i), 0, -1):
            label = lexicon.get(tuple(tokens[i : i + size]))
            if label is not None:
                spans.append((label, i, i + size))
                i += size
                break
        else:
            i += 1
    claimed = {pos for _, start, end in spans for pos in range(start, end)}
    ends_of = {end: label for label, _, end in spans}

    def negated_before(start: int) -> bool:
        for j in range(start - 1, max(start - 1 - _NEGATION_WINDOW, -1), -1):
            word = tokens[j]
            if j in claimed:
                continue
            if word == "but" and ends_of.get(j) == "any":  # "any time but mornings"
                return True
            if word in _BREAKS:
                return False
            if word in negators:
                return True
        return False

    def negated_after(end: int) -> bool:
        for j in range(end, min(end + 2, len(tokens))):
            if tokens[j] in _BREAKS or j in claimed:
                return False
            if tokens[j] in _POST_NEGATORS:
                return True
        return False

    return [
        _Hit(label, start, end, negated_before(start) or (post_negation and negated_after(end)))
        for label, start, end in spans
    ]


def _ordered(labels: Iterable[str], order: tuple[str, ...]) -> list[str]:
    found = set(labels)
    return [label for label in order if label in found]


# --- skipping -------------------------------------------------------------------------------------

_SKIP_PAYLOADS = frozenset({"/skip", "/prefer_not_to_say"})
# fmt: off
_PUNCTUATION = frozenset({",", ".", ";", ":", "!", "?"})
_SKIP_LEAD = _PUNCTUATION | {
    "sorry", "um", "umm", "erm", "er", "uh", "hmm", "well", "oh", "i", "id", "ill", "would", "just", "honestly",
    "actually",
}
_SKIP_TAIL = _PUNCTUATION | {"please", "thanks", "thank", "you", "sorry", "thx", "ta", "for", "now", "x"}
_SOFT_NO = frozenset(
    {("rather", "not"), ("prefer", "not"), ("prefer", "not", "to"), ("better", "not"), ("best", "not")}
)
_SKIP_PHRASES = frozenset(
    tuple(phrase.split())
    for phrase in (
        "skip", "skip it", "skip this", "skip that", "skip this one", "skip this question", "skip question",
        "pass", "pass on that", "pass on this", "pass on this one",
        "prefer not to say", "prefer not to answer", "prefer not to tell", "prefer not to share",
        "prefer not to tell you", "rather not say", "rather not answer", "rather not tell", "rather not share",
        "rather not tell you", "dont want to say", "dont want to answer", "dont want to tell", "dont want to tell you",
        "dont want to share",
        "do not want to say", "do not want to answer", "do not want to tell you", "dont wish to say",
        "not saying", "not telling", "not telling you", "no comment", "none of your business",
    )
) | _SOFT_NO
# fmt: on


def _core_words(text: object) -> tuple[str, ...]:
    """The words of a short answer without the filler around them ("I'd rather not say, sorry")."""
    words = _tokens(text)
    start, end = 0, len(words)
    while start < end and words[start] in _SKIP_LEAD:
        start += 1
    while end > start and words[end - 1] in _SKIP_TAIL:
        end -= 1
    return tuple(words[start:end])


def is_skip(text: object) -> bool:
    """True for "prefer not to say" in its many forms, and for the /skip button payload."""
    cleaned = _clean(text).casefold()
    if cleaned in _SKIP_PAYLOADS:
        return True
    if not cleaned or len(cleaned) > 60:
        return False
    return _core_words(cleaned) in _SKIP_PHRASES


def _start(text: object) -> Validated | None:
    """What every validator does first: a skip, or nothing at all typed."""
    if is_skip(text):
        return SKIPPED
    if not _clean(text):
        return _error("empty")
    return None


def _has_letter(text: str) -> bool:
    return any(ch.isalpha() for ch in text)


# --- preferred name -------------------------------------------------------------------------------

_NAME_LEAD_IN = re.compile(
    r"^(?:(?:hi|hello|hiya|hey)\b[\s,!.]*)?"
    r"(?:(?:my name is|my names|my name's|my name’s|name is|names|name's|name’s|i'm|i’m|im|i am|it's|it’s|its|"
    r"this is|call me|you can call me|please call me|just call me)\s+)?",
    re.IGNORECASE,
)
_NAME_TAIL = re.compile(r"(?:[\s,.!]+(?:thanks|thank you|thx|ta|please|x+))+$", re.IGNORECASE)
_EDGE_PUNCTUATION = "\"'“”‘’«».,!?;:*_~`#|\\/ "


def validate_preferred_name(text: str) -> Validated:
    """What to call the parent: 1-40 characters, with "my name is" / "call me" and angle brackets removed."""
    if (early := _start(text)) is not None:
        return early
    name = _clean_plain(text)
    stripped = _NAME_TAIL.sub("", _NAME_LEAD_IN.sub("", name, count=1)).strip(_EDGE_PUNCTUATION)
    if stripped:
        name = stripped
    if not _has_letter(name):
        return _error("name_unclear")
    if len(name) > NAME_MAX_CHARS:
        return _error("name_too_long")
    return Validated(name)


# --- contact method -------------------------------------------------------------------------------

# fmt: off
_CONTACT_METHODS = _lexicon(
    {
        "phone": ("phone", "phone call", "phone me", "call", "calls", "call me", "a call", "ring", "ring me",
                  "telephone", "call back", "mobile", "voice"),
        "text": ("text", "texts", "text me", "text message", "text messages", "sms", "txt", "message me"),
        "email": ("email", "emails", "email me", "e mail", "mail", "an email"),
    }
)
# fmt: on


def validate_contact_method(text: str) -> Validated:
    """ "phone", "text" or "email"; when more than one is named, the first one not negated wins."""
    if (early := _start(text)) is not None:
        return early
    if "@" in _clean(text):
        return Validated("email")
    hits = [hit for hit in _scan(_tokens(text), _CONTACT_METHODS) if not hit.negated]
    if not hits:
        return _error("contact_method_unclear")
    return Validated(hits[0].label)


# --- phone ----------------------------------------------------------------------------------------

# A run that looks like one phone number: optional "+", digits, spaces, brackets, dots and dashes.
_PHONE_RUN = re.compile(r"\+?\(?\d[\d\s().\-]*\d")
_MIN_PHONE_DIGITS = 5
# Ofcom's ranges for fiction and testing (they reach nobody); phonenumbers calls them invalid.
# Accepting them lets demonstrations and tests use numbers that are certainly not a real person's.
_DRAMA_PREFIXES = ("7700900", "1632960")
# fmt: off
_SERVICE_TYPES = frozenset(
    {PhoneNumberType.TOLL_FREE, PhoneNumberType.PREMIUM_RATE, PhoneNumberType.SHARED_COST, PhoneNumberType.UAN,
     PhoneNumberType.VOICEMAIL, PhoneNumberType.PAGER}
)
# fmt: on
_MOBILE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})
_UK_NATIONAL_DIGITS = 10
_PARSE_ERRORS = {
    NumberParseException.INVALID_COUNTRY_CODE: "phone_not_uk",
    NumberParseException.TOO_SHORT_AFTER_IDD: "phone_too_short",
    NumberParseException.TOO_SHORT_NSN: "phone_too_short",
    NumberParseException.TOO_LONG: "phone_too_long",
}


def validate_contact_phone(text: str, *, mobile_only: bool = False) -> Validated:
    """A UK number in E.164 ("+447700900123"). Pass mobile_only=True when the parent asked for texts."""
    if (early := _start(text)) is not None:
        return early
    cleaned = unicodedata.normalize("NFKC", _clean(text))
    runs = [run for run in _PHONE_RUN.findall(cleaned) if sum(ch.isdigit() for ch in run) >= _MIN_PHONE_DIGITS]
    if not runs:
        return _error("phone_too_short" if any(ch.isdigit() for ch in cleaned) else "phone_unclear")
    try:
        numbers = [phonenumbers.parse(run, "GB") for run in runs]
    except NumberParseException as exc:
        return _error(_PARSE_ERRORS.get(exc.error_type, "phone_unclear"))
    if len({(n.country_code, n.national_number) for n in numbers}) > 1:
        return _error("phone_more_than_one")
    number = numbers[0]
    if number.country_code != 44:
        return _error("phone_not_uk")
    national = str(number.national_number)
    drama = len(national) == _UK_NATIONAL_DIGITS and national.startswith(_DRAMA_PREFIXES)
    if not drama and not phonenumbers.is_valid_number(number):
        if len(national) < _UK_NATIONAL_DIGITS:
            return _error("phone_too_short")
        if len(national) > _UK_NATIONAL_DIGITS:
            return _error("phone_too_long")
        return _error("phone_invalid")
    kind = PhoneNumberType.MOBILE if drama and national.startswith("7") else phonenumbers.number_type(number)
    if kind in _SERVICE_TYPES:
        return _error("phone_service_number")
    if mobile_only and kind not in _MOBILE_TYPES:
        return _error("phone_not_mobile")
    return Validated(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


# --- email ----------------------------------------------------------------------------------------

_EMAIL_EDGES = "<>()[]{}\"'“”‘’.,;:!?"


def validate_contact_email(text: str) -> Validated:
    """An email address as email-validator normalises it (no DNS look-ups)."""
    if (early := _start(text)) is not None:
        return early
    cleaned = re.sub(r"\s*@\s*", "@", unicodedata.normalize("NFKC", _clean(text)))  # "sam @ example.org"
    candidates = {word.strip(_EMAIL_EDGES).removeprefix("mailto:") for word in cleaned.split() if "@" in word}
    if len(candidates) > 1:
        return _error("email_more_than_one")
    if not candidates:
        return _error("email_invalid")
    try:
        result = validate_email(candidates.pop(), check_deliverability=False)
    except EmailNotValidError:
        return _error("email_invalid")
    return Validated(result.normalized)


# --- yes / no -------------------------------------------------------------------------------------

# fmt: off
_YES_NO = _lexicon(
    {
        "yes": (
            "yes", "yeah", "yea", "yep", "yup", "yus", "aye", "ok", "okay", "okey", "okie", "sure", "of course",
            "course", "definitely", "absolutely", "certainly", "fine", "thats fine", "that is fine", "its fine",
            "it is fine", "thats ok", "thats okay", "its ok", "its okay", "all right", "alright", "go ahead",
            "please do", "yes please", "correct", "thats right", "that is right", "true", "affirm",
            "its safe", "it is safe", "thats safe", "dont mind", "i dont mind", "do not mind", "dont see why not",
            "missing", "still missing", "gone missing", "sounds good", "happy to", "im happy", "happy with that",
            "no problem", "no worries", "no bother", "not a problem", "why not", "go for it", "i think so", "it is",
            "i do", "it does", "they are", "she is", "he is", "they can", "you can", "totally", "indeed",
        ),
        "no": (
            "no", "nope", "nah", "naw", "no thanks", "no thank you", "not really", "definitely not",
            "certainly not", "absolutely not", "of course not", "course not", "not at all", "no way", "never",
            "dont", "do not", "please dont", "please do not", "rather not", "id rather not", "prefer not",
            "better not", "best not", "false", "deny", "negative", "not now", "not yet", "i dont think so",
            "dont think so", "not safe", "its not", "it isnt", "it is not", "not ok", "not okay",
        ),
        "unsure": (
            "dont know", "do not know", "dunno", "not sure", "unsure", "no idea", "not certain", "maybe",
            "possibly", "perhaps", "im not sure", "i dont know", "not sure yet", "no clue", "depends",
            "it depends",
        ),
    }
)
# fmt: on
_YES_NO_SOLO = {("y",): True, ("n",): False, ("k",): True, ("ya",): True, ("na",): False}
_YES_EMOJI = re.compile("[\U0001f44d\u2705\u2714\u2611\U0001f44c]")
_NO_EMOJI = re.compile("[\U0001f44e\u274c\u2716\u274e\U0001f6ab]")


def validate_yes_no(text: str) -> Validated:
    """True or False from many British ways of saying so; "not sure" counts as no answer (None, skipped)."""
    if _core_words(text) in _SOFT_NO:  # "I'd rather not": to a yes/no question that is a no
        return Validated(False)
    if (early := _start(text)) is not None:
        return early
    core = _core_words(text)
    if core in _YES_NO_SOLO:
        return Validated(_YES_NO_SOLO[core])
    cleaned = _clean(text)
    marked = _NO_EMOJI.sub(" no ", _YES_EMOJI.sub(" yes ", cleaned))
    kinds = set()
    for hit in _scan(_tokens(marked), _YES_NO):
        kinds.add("no" if hit.label == "yes" and hit.negated else hit.label)
    if kinds == {"yes"}:
        return Validated(True)
    if kinds == {"no"}:
        return Validated(False)
    if kinds == {"unsure"}:
        return SKIPPED
    return _error("yes_no_unclear")


# --- best times -----------------------------------------------------------------------------------

TIMES = ("morning", "afternoon", "evening")
_PERIODS = {"morning": (0, 12), "afternoon": (12, 17), "evening": (17, 24)}
# fmt: off
_TIME_WORDS = _lexicon(
    {
        "morning": ("morning", "mornings", "first thing", "breakfast", "early morning", "in the morning"),
        "afternoon": ("afternoon", "afternoons", "lunch", "lunchtime", "lunch time", "lunchtimes", "after school",
                      "after lunch"),  # "midday" and "noon" are read as 12pm
        "evening": ("evening", "evenings", "night", "nights", "tonight", "after work", "after dinner", "after tea",
                    "teatime", "tea time", "after the kids are in bed", "overnight", "late evening", "early evening"),
        "daytime": ("daytime", "daytimes", "day time", "during the day", "in the day", "working hours",
                    "office hours", "work hours", "school hours"),
        "any": ("any", "any time", "anytime", "any times", "whenever", "all day", "dont mind", "do not mind",
                "doesnt matter", "does not matter", "no preference", "flexible", "either", "all", "any of them",
                "all of them", "always", "whatever", "any time of day", "24 7", "any day", "whenever suits"),
    }
)
# fmt: on
_TIME_NEGATORS = _NEGATORS | {"except", "excluding", "avoid", "apart", "other"}
_TIME_SUFFIX = r"\s*(am|pm|oclock|o clock|hrs|h)?\b"
_CLOCK = r"(\d{1,2})(?::?(\d{2}))?"
_TIME_RANGE = re.compile(
    rf"(?:\bbetween\s+{_CLOCK}{_TIME_SUFFIX}\s*(?:and|-|to)\s*{_CLOCK}{_TIME_SUFFIX})"
    rf"|(?:\b{_CLOCK}{_TIME_SUFFIX}\s*(?:-|to|till|til|until)\s*{_CLOCK}{_TIME_SUFFIX})"
)
_TIME_SINGLE = re.compile(
    r"(?:\b(before|by|until|till|til|up to|after|from|past|later than|around|about|at|earlier than)\s+)?"
    rf"\b{_CLOCK}{_TIME_SUFFIX}"
)
_NEGATED_TIME = re.compile(r"\b(?:not|never|dont|no)\s*$")
# fmt: off
_SMALL_NUMBERS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
# fmt: on
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_NUMBER_WORDS = re.compile(
    rf"\b(?:({'|'.join(_TENS)})(?:[\s-]+({'|'.join(list(_SMALL_NUMBERS)[1:10])}))?|({'|'.join(_SMALL_NUMBERS)}))\b"
)


def _words_to_digits(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        if match.group(3):
            return str(_SMALL_NUMBERS[match.group(3)])
        return str(_TENS[match.group(1)] + (_SMALL_NUMBERS[match.group(2)] if match.group(2) else 0))

    return _NUMBER_WORDS.sub(replace, text)


def _hour(hour: int, suffix: str | None) -> int | None:
    """A clock hour on the 24-hour clock. Without am/pm: 1-6 is taken as pm, 7-11 as am (calling hours)."""
    if hour > 24:
        return None
    if suffix == "pm":
        return hour % 12 + 12
    if suffix == "am":
        return hour % 12
    if hour >= 12:
        return hour % 24
    return hour + 12 if 1 <= hour <= 6 else hour


def _periods_between(start: int, end: int) -> set[str]:
    if end <= start:
        end = 24
    return {name for name, (lo, hi) in _PERIODS.items() if start < hi and end > lo}


def _periods_from_clock(folded: str) -> set[str]:
    found: set[str] = set()
    for match in _TIME_RANGE.finditer(folded):
        groups = match.groups()
        h1, _, s1, h2, _, s2 = groups[:6] if groups[0] is not None else groups[6:]
        first_suffix = s1 if s1 in ("am", "pm") else None
        second_suffix = s2 if s2 in ("am", "pm") else None
        end = _hour(int(h2), second_suffix)
        start = _hour(int(h1), first_suffix)
        if first_suffix is None and second_suffix is not None:  # "7-9pm": the pm belongs to both
            shared = _hour(int(h1), second_suffix)
            start = shared if shared is not None and end is not None and shared <= end else start
        if start is not None and end is not None:
            found |= _periods_between(start, end)
    remainder = _TIME_RANGE.sub(" ", folded)
    for match in _TIME_SINGLE.finditer(remainder):
        preposition, hour_text, _, suffix = match.groups()
        if preposition is None and suffix not in ("am", "pm", "oclock", "o clock"):
            continue  # a bare number is not a time
        hour = _hour(int(hour_text), suffix if suffix in ("am", "pm") else None)
        if hour is None:
            continue
        before = preposition in ("before", "by", "until", "till", "til", "up to", "earlier than")
        after = preposition in ("after", "from", "past", "later than")
        just_before = remainder[max(0, match.start() - 12) : match.start()]
        if _NEGATED_TIME.search(just_before):  # "not before 10am" means after it
            before, after = after, before
            if not (before or after):
                continue
        if before:
            found |= _periods_between(0, hour) if hour > 0 else set()
        elif after:
            found |= _periods_between(hour, 24)
        else:
            found |= _periods_between(hour, hour + 1)
    return found


def validate_best_times(text: str) -> Validated:
    """A list from "morning", "afternoon", "evening"; or ["any"] when any time suits."""
    if (early := _start(text)) is not None:
        return early
    folded = _words_to_digits(_fold(text))
    folded = re.sub(r"\b([ap])\.\s?m\b\.?", r"\1m", folded)
    folded = re.sub(r"\bhalf\s+(?:past\s+)?(\d{1,2})\b", r"at \1", folded)
    folded = re.sub(r"\b(?:noon|midday)\b", "12pm", folded)
    folded = folded.replace("\u2013", "-").replace("\u2014", "-").replace("24/7", "24 7")
    wanted: set[str] = set()
    unwanted: set[str] = set()
    said_any = False
    for hit in _scan(_TOKEN.findall(folded), _TIME_WORDS, negators=_TIME_NEGATORS):
        periods = {"morning", "afternoon"} if hit.label == "daytime" else {hit.label}
        if hit.label == "any":
            said_any = said_any or not hit.negated
        elif hit.negated:
            unwanted |= periods
        else:
            wanted |= periods
    wanted |= _periods_from_clock(folded)
    if wanted:
        chosen = wanted - unwanted
    elif said_any or unwanted:  # "any time", "any time but mornings", "not evenings"
        chosen = set(TIMES) - unwanted
        if said_any and not unwanted:
            return Validated(["any"])
    else:
        chosen = set()
    if not chosen:
        return _error("times_unclear")
    return Validated(_ordered(chosen, TIMES))


# --- nation and area ------------------------------------------------------------------------------

# fmt: off
_NATIONS = _lexicon(
    {
        "england": ("england", "english", "eng", "lloegr"),
        "wales": ("wales", "welsh", "cymru", "cymraeg"),
        "outside": (
            "scotland", "scottish", "alba", "northern ireland", "n ireland", "ni", "northern irish", "ireland",
            "irish", "isle of man", "jersey", "guernsey", "channel islands", "abroad", "overseas",
            "outside the uk", "not in the uk", "outside uk",
        ),
    }
)
# fmt: on


def validate_nation(text: str) -> Validated:
    """ "england" or "wales"; Scotland, Northern Ireland and elsewhere give "outside_england_wales"."""
    if (early := _start(text)) is not None:
        return early
    hits = _scan(_tokens(text), _NATIONS)
    here = {hit.label for hit in hits if not hit.negated and hit.label != "outside"}
    if len(here) == 1:
        return Validated(here.pop())
    if here:
        return _error("nation_unclear")
    negated = {hit.label for hit in hits if hit.negated}
    if any(hit.label == "outside" and not hit.negated for hit in hits) or {"england", "wales"} <= negated:
        return _error("outside_england_wales")
    return _error("nation_unclear")


def validate_area(text: str) -> Validated:
    """The local authority or county as typed, cleaned: 2-60 characters with at least one letter."""
    if (early := _start(text)) is not None:
        return early
    area = _clean_plain(text).strip(_EDGE_PUNCTUATION)
    if not (AREA_MIN_CHARS <= len(area) <= AREA_MAX_CHARS) or not _has_letter(area):
        return _error("area_unclear")
    return Validated(area)


# --- relationship ---------------------------------------------------------------------------------

RELATIONSHIPS = ("foster_carer", "kinship_carer", "step_parent", "grandparent", "mother", "father", "other_relative")
# fmt: off
_RELATIONSHIP_WORDS = _lexicon(
    {
        "mother": ("mum", "mom", "mother", "mam", "mummy", "mommy", "mammy", "mama", "mamma", "ma", "adoptive mum",
                   "adoptive mother", "birth mum", "birth mother"),
        "father": ("dad", "father", "daddy", "da", "papa", "pa", "tad", "adoptive dad", "adoptive father",
                   "birth dad", "birth father"),
        "step_parent": ("stepmum", "stepmom", "stepmother", "stepdad", "stepfather", "stepparent", "step mum",
                        "step mom", "step mother", "step dad", "step father", "step parent", "step mam"),
        "grandparent": ("nan", "nana", "nanna", "nanny", "gran", "granny", "grandma", "grandmother", "grandad",
                        "granddad", "grandpa", "grandfather", "grandparent", "grandparents", "gramps", "grampa",
                        "grandmum", "nain", "taid", "mamgu", "tadcu", "tad cu", "great gran", "great grandma"),
        "foster_carer": ("foster carer", "foster parent", "foster mum", "foster mother", "foster dad",
                         "foster father", "fostering", "foster", "i foster", "we foster", "foster carers"),
        "kinship_carer": ("kinship", "kinship carer", "special guardian", "special guardianship", "sgo",
                          "kinship care"),
        "other_relative": ("aunt", "auntie", "aunty", "uncle", "sister", "brother", "cousin", "sibling",
                           "stepsister", "stepbrother", "step sister", "step brother", "half sister",
                           "half brother", "big sister", "big brother", "other relative", "relative",
                           "godmother", "godfather", "godparent"),
    }
)
# fmt: on


def validate_relationship(text: str) -> Validated:
    """The parent's relationship to the child; any other answer with letters in it is "other"."""
    if (early := _start(text)) is not None:
        return early
    labels = {hit.label for hit in _scan(_tokens(text), _RELATIONSHIP_WORDS) if not hit.negated}
    for label in RELATIONSHIPS:  # the most specific wins: "his nan, and his special guardian" -> kinship
        if label in labels:
            return Validated(label)
    if not _has_letter(_clean(text)):
        return _error("relationship_unclear")
    return Validated("other")


# --- child's age ----------------------------------------------------------------------------------

_FRACTIONS = str.maketrans({"\u00bd": " and a half", "\u00bc": " and a quarter", "\u00be": " and three quarters"})
_SCHOOL_YEAR = re.compile(r"\b(?:year|yr|y)\s*(\d{1,2})\b")
_AGE_NUMBER = re.compile(
    r"(?<![\d.,])(\d+)(?:[.,]\d+)?(?:\s*(years?|yrs?|yo|y/o|months?|mths?|mnths?|mos?|weeks?|wks?|days?)\b)?(?!\d)"
)
_AGE_CUE_BEFORE = re.compile(r"\b(?:is|shes|hes|theyre|aged|age|just|nearly|almost|turned|turning|only|now)\s*$")
_SCHOOL_START_AGE = 4  # reception; a child in year N is N + 4 at the start of the school year


def validate_child_age(text: str) -> Validated:
    """The child's age in whole years, 0-24 ("13 and a half" -> 13, "18 months" -> 1, "year 9" -> 13)."""
    if (early := _start(text)) is not None:
        return early
    folded = _words_to_digits(_fold(_as_text(text).translate(_FRACTIONS)))
    school = _SCHOOL_YEAR.search(folded)
    without_school = _SCHOOL_YEAR.sub(" ", folded)
    candidates: list[tuple[bool, int]] = []
    for match in _AGE_NUMBER.finditer(without_school):
        digits, unit = match.groups()
        if len(digits) > 3:
            return _error("age_out_of_range")
        number = int(digits)
        if unit and unit.startswith(("mo", "mth", "mnth")):
            number //= 12
        elif unit and unit.startswith(("w", "d")):
            number = 0
        cued = bool(unit) or bool(_AGE_CUE_BEFORE.search(without_school[max(0, match.start() - 12) : match.start()]))
        candidates.append((cued, number))
    if candidates:
        age = next((number for cued, number in candidates if cued), candidates[0][1])
    elif school:
        age = int(school.group(1)) + _SCHOOL_START_AGE
    elif re.search(r"\breception\b", folded):
        age = _SCHOOL_START_AGE
    else:
        return _error("age_unclear")
    if not AGE_MIN <= age <= AGE_MAX:
        return _error("age_out_of_range")
    return Validated(age)


# --- concerns and agencies ------------------------------------------------------------------------

CONCERNS = ("sexual", "criminal", "online", "not_sure")
# fmt: off
_CONCERN_WORDS = _lexicon(
    {
        "sexual": ("sexual", "sexually", "sex", "cse", "sexual exploitation", "sexual abuse", "rape", "raped",
                   "prostitution", "pimped", "older boyfriend", "sexually exploited"),
        "criminal": ("criminal", "criminally", "crime", "crimes", "drugs", "drug", "dealing", "county lines",
                     "county line", "gang", "gangs", "cce", "criminal exploitation", "knife", "knives", "weapons",
                     "weapon", "stealing", "shoplifting", "trap house", "cuckooing", "money mule", "mule", "mules",
                     "running drugs", "robbery", "carrying"),
        "online": ("online", "internet", "images", "image", "pictures", "pics", "photos", "photo", "nudes",
                   "nude", "videos", "social media", "snapchat", "snap", "instagram", "insta", "tiktok", "whatsapp",
                   "facebook", "discord", "telegram", "roblox", "xbox", "playstation", "gaming", "webcam",
                   "sexting", "apps", "app", "messages", "messaging"),
        "sextortion": ("sextortion",),
        "all": ("all of the above", "all of them", "all three", "all 3"),
        "not_sure": ("not sure", "dont know", "do not know", "unsure", "no idea", "dunno", "not certain",
                     "im not sure", "i dont know", "no clue"),
    }
)
# fmt: on


def validate_concerns(text: str) -> Validated:
    """A list from "sexual", "criminal", "online"; or ["not_sure"] when that is all the parent can say."""
    if (early := _start(text)) is not None:
        return early
    found: set[str] = set()
    unsure = False
    for hit in _scan(_tokens(text), _CONCERN_WORDS, post_negation=True):
        if hit.negated:
            continue
        if hit.label == "not_sure":
            unsure = True
        elif hit.label == "sextortion":
            found |= {"sexual", "online"}
        elif hit.label == "all":
            found |= {"sexual", "criminal", "online"}
        else:
            found.add(hit.label)
    if found:
        return Validated(_ordered(found, CONCERNS))
    if unsure:
        return Validated(["not_sure"])
    return _error("concerns_unclear")


AGENCIES = ("police", "childrens_services", "school", "health", "none")
# fmt: off
_AGENCY_WORDS = _lexicon(
    {
        "police": ("police", "the police", "cops", "cop", "101", "999", "officer", "officers", "pc", "pcso",
                   "detective", "police officer", "coppers", "old bill"),
        "childrens_services": ("social services", "social worker", "social workers", "social work",
                               "childrens services", "children services", "childrens social care", "social care",
                               "mash", "early help", "child protection", "council", "the council",
                               "local authority", "family support worker", "childrens services"),
        "school": ("school", "schools", "college", "teacher", "teachers", "head teacher", "headteacher",
                   "head of year", "academy", "sixth form", "senco", "dsl", "safeguarding lead", "form tutor",
                   "pastoral", "university", "uni"),
        "health": ("gp", "doctor", "doctors", "camhs", "hospital", "health visitor", "nurse", "school nurse",
                   "a and e", "a e", "nhs", "paramedic", "paramedics", "ambulance", "therapist", "counsellor",
                   "mental health", "sexual health", "health", "psychiatrist", "psychologist", "midwife"),
        "none": ("none", "nobody", "no one", "noone", "not anyone", "no body", "none of them", "nothing",
                 "none yet", "nobody yet", "no one yet", "just me", "only me", "just us", "havent told anyone",
                 "not told anyone", "havent told anybody", "not told anybody", "not anybody"),
    }
)
# fmt: on


# Short answers that mean nobody; as words inside a longer answer they would negate ("no police").
# fmt: off
_NOBODY = frozenset(
    tuple(phrase.split())
    for phrase in ("no", "nope", "nah", "neither", "not yet", "no not yet", "not really", "no one yet", "no none")
)
# fmt: on


def validate_agencies(text: str) -> Validated:
    """A list from "police", "childrens_services", "school", "health"; or ["none"] (never with others)."""
    if (early := _start(text)) is not None:
        return early
    if _core_words(text) in _NOBODY:
        return Validated(["none"])
    hits = _scan(_tokens(text), _AGENCY_WORDS, post_negation=True)
    found = {hit.label for hit in hits if not hit.negated} - {"none"}
    if found:
        return Validated(_ordered(found, AGENCIES))
    if any(hit.label == "none" or hit.negated for hit in hits):  # "nobody", "we haven't told the police"
        return Validated(["none"])
    return _error("agencies_unclear")


# --- crime reference ------------------------------------------------------------------------------

# fmt: off
_NO_REFERENCE = frozenset(
    tuple(phrase.split())
    for phrase in (
        "none", "no", "nope", "n a", "na", "dont have one", "do not have one", "havent got one", "not got one",
        "dont know", "dont know it", "not sure", "cant remember", "no reference", "no ref", "dont have it",
        "havent got it", "i dont have one", "i havent got one", "we dont have one", "not yet", "not given one",
        "we werent given one", "i wasnt given one", "no idea", "dunno",
    )
)
# fmt: on
_REFERENCE_LEAD_IN = re.compile(
    r"^(?:(?:it'?s|it is|the|my|our|a|crime|incident|police|reference|ref|number|num|no|is|was|:|#)\b[\s:.#\-]*)+",
    re.IGNORECASE,
)
_REFERENCE = re.compile(r"[A-Za-z0-9/\- ]+")
_DASHES = str.maketrans(
    {"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-", "\\": "/"}
)


def validate_crime_reference(text: str) -> Validated:
    """The police reference as given, cleaned; "don't have one" counts as no answer (None, skipped)."""
    if (early := _start(text)) is not None:
        return early
    if _core_words(text) in _NO_REFERENCE:
        return SKIPPED
    reference = unicodedata.normalize("NFKC", _clean(text)).translate(_DASHES)
    without_lead_in = _REFERENCE_LEAD_IN.sub("", reference).strip(" .,;:!?\"'“”‘’")
    if any(ch.isdigit() for ch in without_lead_in):
        reference = without_lead_in
    reference = " ".join(reference.split())
    if (
        len(reference) > CRIME_REFERENCE_MAX_CHARS
        or not _REFERENCE.fullmatch(reference)
        or not any(ch.isdigit() for ch in reference)
    ):
        return _error("crime_reference_unclear")
    return Validated(reference)


# --- what help is wanted --------------------------------------------------------------------------


def validate_help_wanted(text: str) -> Validated:
    """Free text, cleaned (spaces collapsed, paragraphs kept), 1-600 characters."""
    if (early := _start(text)) is not None:
        return early
    lines = (" ".join(line.split()) for line in clean_message(_as_text(text)).splitlines())
    paragraphs: list[str] = []
    for line in lines:
        if line or (paragraphs and paragraphs[-1]):
            paragraphs.append(line)
    cleaned = "\n".join(paragraphs).strip()
    if len(cleaned) > HELP_WANTED_MAX_CHARS:
        return _error("too_long")
    return Validated(cleaned)


VALIDATORS: dict[str, Callable[[str], Validated]] = {
    "preferred_name": validate_preferred_name,
    "contact_method": validate_contact_method,
    "contact_phone": validate_contact_phone,
    "contact_email": validate_contact_email,
    "safe_to_leave_message": validate_yes_no,
    "safe_to_say_who_is_calling": validate_yes_no,
    "best_times": validate_best_times,
    "nation": validate_nation,
    "area": validate_area,
    "relationship": validate_relationship,
    "child_age": validate_child_age,
    "concerns": validate_concerns,
    "child_missing_now": validate_yes_no,
    "agencies": validate_agencies,
    "crime_reference": validate_crime_reference,
    "help_wanted": validate_help_wanted,
    "include_transcript": validate_yes_no,
}
