"""Answer validation of the self-referral form: what a parent types becomes the contract's values, or a re-ask."""

from __future__ import annotations

import pytest

from bot.handoff.summary import FIELD_ORDER
from bot.handoff.validation import (
    ERROR_CODES,
    ERROR_MEANINGS,
    VALIDATORS,
    Validated,
    is_skip,
    validate_agencies,
    validate_area,
    validate_best_times,
    validate_child_age,
    validate_concerns,
    validate_contact_email,
    validate_contact_method,
    validate_contact_phone,
    validate_crime_reference,
    validate_help_wanted,
    validate_nation,
    validate_preferred_name,
    validate_relationship,
    validate_yes_no,
)

CONTRACT_FIELDS = {*FIELD_ORDER, "include_transcript"}


def ok(value: object) -> Validated:
    return Validated(value)


def err(code: str) -> Validated:
    return Validated(None, error=code)


SKIPPED = Validated(None, skipped=True)


# --- the shared parts -------------------------------------------------------------------------------


def test_there_is_a_validator_for_every_answer_in_the_contract() -> None:
    assert set(VALIDATORS) == CONTRACT_FIELDS
    for field in ("safe_to_leave_message", "safe_to_say_who_is_calling", "child_missing_now", "include_transcript"):
        assert VALIDATORS[field] is validate_yes_no


# One real answer for every error code: run, not read out of the source.
EACH_ERROR = [
    ("preferred_name", "   ", "empty"),
    ("preferred_name", "1234", "name_unclear"),
    ("preferred_name", "a" * 41, "name_too_long"),
    ("contact_method", "pigeon", "contact_method_unclear"),
    ("contact_phone", "hello", "phone_unclear"),
    ("contact_phone", "+33 1 23 45 67 89", "phone_not_uk"),
    ("contact_phone", "0770", "phone_too_short"),
    ("contact_phone", "077009001234567", "phone_too_long"),
    ("contact_phone", "01000 000000", "phone_invalid"),
    ("contact_phone", "0800 123 4567", "phone_service_number"),
    ("contact_phone", "07700 900123 or 07700 900456", "phone_more_than_one"),
    ("contact_email", "not an email", "email_invalid"),
    ("contact_email", "a@example.org b@example.org", "email_more_than_one"),
    ("safe_to_leave_message", "purple", "yes_no_unclear"),
    ("best_times", "purple", "times_unclear"),
    ("nation", "the moon", "nation_unclear"),
    ("nation", "Scotland", "outside_england_wales"),
    ("area", "x", "area_unclear"),
    ("relationship", "123", "relationship_unclear"),
    ("child_age", "not sure", "age_unclear"),
    ("child_age", "40", "age_out_of_range"),
    ("concerns", "bananas", "concerns_unclear"),
    ("agencies", "bananas", "agencies_unclear"),
    ("crime_reference", "no digits here", "crime_reference_unclear"),
    ("help_wanted", "x" * 601, "too_long"),
]


@pytest.mark.parametrize(("field", "text", "code"), EACH_ERROR, ids=[code for _, _, code in EACH_ERROR])
def test_each_error_code_comes_from_a_real_answer(field: str, text: str, code: str) -> None:
    assert VALIDATORS[field](text) == err(code)


def test_every_error_code_can_happen_and_is_explained_for_the_content_writers() -> None:
    texts_need_a_mobile = validate_contact_phone("020 7946 0018", mobile_only=True)
    assert texts_need_a_mobile == err("phone_not_mobile")
    assert {code for _, _, code in EACH_ERROR} | {texts_need_a_mobile.error} == ERROR_CODES  # none is unreachable
    for code, meaning in ERROR_MEANINGS.items():
        assert meaning.strip() and "\n" not in meaning, f"{code} has no one-line meaning"


@pytest.mark.parametrize(
    "text",
    [
        "prefer not to say",
        "Prefer not to say",
        "skip",
        "Skip.",
        "rather not say",
        "pass",
        "don't want to say",
        "don’t want to say",
        "/skip",
        "  /SKIP ",
        "I'd rather not say",
        "I’d prefer not to say, thanks",
        "i would rather not say",
        "skip this one please",
        "I'll pass",
        "no comment",
        "PASS!",
        "sorry, rather not say",
    ],
)
def test_skip_phrases_are_recognised(text: str) -> None:
    assert is_skip(text)


@pytest.mark.parametrize(
    "text",
    [
        "Skipton",
        "passport",
        "Sam",
        "yes",
        "no",
        "I don't want to say it on the phone but they are threatening him",
        "",
        "   ",
    ],
)
def test_ordinary_answers_are_not_skips(text: str) -> None:
    assert not is_skip(text)


@pytest.mark.parametrize("field", sorted(CONTRACT_FIELDS))
@pytest.mark.parametrize("text", ["prefer not to say", "/skip", "Rather not say", "pass", "don't want to say"])
def test_every_question_can_be_skipped(field: str, text: str) -> None:
    assert VALIDATORS[field](text) == SKIPPED


@pytest.mark.parametrize("field", sorted(CONTRACT_FIELDS))
@pytest.mark.parametrize("text", ["", "   ", "\n\t", "\u0000\u0007", "\u202e\u202c", "\u200b"])
def test_an_empty_answer_is_re_asked(field: str, text: str) -> None:
    assert VALIDATORS[field](text) == err("empty")


ODD_INPUTS = [
    "😀",
    "👍🏽",
    "🏴󠁧󠁢󠁷󠁬󠁳󠁿",
    "“curly quotes”",
    "１４",
    "０７７００ ９００１２３",
    "\ud800 lone surrogate",
    "\u202eevil\u202c",
    "<script>alert(1)</script>",
    "'; DROP TABLE referrals; --",
    "{{samaritans.phone}}",
    "Ｅｎｇｌａｎｄ",
    "ﬁne",
    "a" * 5000,
    "1" * 5000,
    "9-" * 2000,
    ":" * 5000,
    "yes " * 2000,
    "no, yes, no",
    "\u00bd",
    "🙂" * 700,
    "Ω≈ç√",
    "مرحبا",
    "你好",
    "  \u00a0 ",
    None,
    14,
    True,
]


@pytest.mark.parametrize("field", sorted(CONTRACT_FIELDS))
@pytest.mark.parametrize("text", ODD_INPUTS)
def test_odd_input_never_crashes_and_gives_a_known_outcome(field: str, text: object) -> None:
    result = VALIDATORS[field](text)  # type: ignore[arg-type]
    assert isinstance(result, Validated)
    if result.error is not None:
        assert result.error in ERROR_CODES
        assert result.value is None and not result.skipped
    elif result.skipped:
        assert result.value is None
    else:
        assert result.value is not None


# --- preferred name ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sam", ok("Sam")),
        ("  Sam   Jones ", ok("Sam Jones")),
        ("my name is Sam", ok("Sam")),
        ("My name’s Priya", ok("Priya")),
        ("I'm Imogen", ok("Imogen")),
        ("Imogen", ok("Imogen")),
        ("call me Jo x", ok("Jo")),
        ("Hi, it's Dee", ok("Dee")),
        ("Sam, thanks", ok("Sam")),
        ("O'Brien", ok("O'Brien")),
        ("Siân", ok("Siân")),
        ("Sia\u0302n", ok("Siân")),  # decomposed accent is composed (NFC)
        ("Jo-Ann", ok("Jo-Ann")),
        ("<b>Sam</b>", ok("bSam/b")),
        ("<script>alert(1)</script>", ok("scriptalert(1)/script")),
        ("Sa\u200bm", ok("Sam")),
        ("\u202eSam\u202c", ok("Sam")),
        ("Sam 😊", ok("Sam 😊")),
        ("x" * 40, ok("x" * 40)),
        ("x" * 41, err("name_too_long")),
        ("😀", err("name_unclear")),
        ("1234", err("name_unclear")),
        ("<>", err("name_unclear")),
    ],
)
def test_preferred_name(text: str, expected: Validated) -> None:
    assert validate_preferred_name(text) == expected


# --- contact method -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("phone", ok("phone")),
        ("text", ok("text")),
        ("email", ok("email")),
        ("Phone call please", ok("phone")),
        ("ring me", ok("phone")),
        ("Call me", ok("phone")),
        ("a text message", ok("text")),
        ("SMS", ok("text")),
        ("E-mail", ok("email")),
        ("email me", ok("email")),
        ("sam@example.org", ok("email")),
        ("don't call, text please", ok("text")),
        ("not email, phone", ok("phone")),
        ("call or text", ok("phone")),
        ("whatsapp", err("contact_method_unclear")),
        ("carrier pigeon", err("contact_method_unclear")),
        ("not by email", err("contact_method_unclear")),
    ],
)
def test_contact_method(text: str, expected: Validated) -> None:
    assert validate_contact_method(text) == expected


# --- phone ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("07700 900123", "+447700900123"),
        ("07700900123", "+447700900123"),
        ("+44 7700 900123", "+447700900123"),
        ("+447700900123", "+447700900123"),
        ("0044 7700 900123", "+447700900123"),
        ("+44 (0) 7700 900123", "+447700900123"),
        ("447700900123", "+447700900123"),
        ("07700-900-123", "+447700900123"),
        ("(020) 7946 0018", "+442079460018"),
        ("020 7946 0018", "+442079460018"),
        ("029 2018 0123", "+442920180123"),
        ("01632 960001", "+441632960001"),
        ("０７７００ ９００１２３", "+447700900123"),
        ("my number is 07700 900123", "+447700900123"),
        ("07700 900123 after 6pm", "+447700900123"),
        ("07700 900123 (mobile)", "+447700900123"),
        ("07700 900123 or 07700900123", "+447700900123"),  # the same number twice is one number
    ],
)
def test_uk_phone_numbers_are_accepted_in_e164(text: str, expected: str) -> None:
    assert validate_contact_phone(text) == ok(expected)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("+33 6 12 34 56 78", "phone_not_uk"),
        ("+1 202 555 0143", "phone_not_uk"),
        ("0033 6 12 34 56 78", "phone_not_uk"),
        ("07700 90012", "phone_too_short"),
        ("0770090", "phone_too_short"),
        ("999", "phone_too_short"),
        ("ring 101", "phone_too_short"),
        ("07700 9001234", "phone_too_long"),
        ("0" * 30, "phone_too_long"),
        ("0800 1111", "phone_service_number"),
        ("0808 157 0000", "phone_service_number"),
        ("0909 879 0000", "phone_service_number"),
        ("0300 123 4567", "phone_service_number"),
        ("07700 900123 or 020 7946 0018", "phone_more_than_one"),
        ("my mobile", "phone_unclear"),
        ("abc", "phone_unclear"),
        ("😀", "phone_unclear"),
    ],
)
def test_bad_phone_numbers_are_re_asked(text: str, code: str) -> None:
    assert validate_contact_phone(text) == err(code)


def test_a_landline_is_refused_only_when_texts_were_asked_for() -> None:
    assert validate_contact_phone("020 7946 0018", mobile_only=True) == err("phone_not_mobile")
    assert validate_contact_phone("020 7946 0018") == ok("+442079460018")
    assert validate_contact_phone("07700 900123", mobile_only=True) == ok("+447700900123")


# --- email ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sam@example.org", ok("sam@example.org")),
        ("Sam.Jones@Example.ORG", ok("Sam.Jones@example.org")),
        ("  sam@example.org  ", ok("sam@example.org")),
        ("it's sam@example.org.", ok("sam@example.org")),
        ("Sam <sam@example.org>", ok("sam@example.org")),
        ("mailto:sam@example.org", ok("sam@example.org")),
        ("sam @ example.org", ok("sam@example.org")),
        ("ｓａｍ＠example.org", ok("sam@example.org")),
        ("sam@example.org or sam@example.org", ok("sam@example.org")),
        ("sam", err("email_invalid")),
        ("sam@", err("email_invalid")),
        ("sam@localhost", err("email_invalid")),
        ("sam@@example.org", err("email_invalid")),
        ("sam example.org", err("email_invalid")),
        ("a@example.org or b@example.org", err("email_more_than_one")),
    ],
)
def test_contact_email(text: str, expected: Validated) -> None:
    assert validate_contact_email(text) == expected


# --- yes / no -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "yes",
        "Yes.",
        "YES",
        "yeah",
        "yea",
        "yep",
        "yup",
        "aye",
        "Aye!",
        "ok",
        "OK",
        "okay",
        "that's fine",
        "that’s fine",
        "thats fine",
        "it's fine",
        "sure",
        "of course",
        "definitely",
        "y",
        "Y",
        "yesss",
        "Yes please",
        "no problem",
        "no worries",
        "I don't mind",
        "yes, after 6",
        "👍",
        "✅",
        "go ahead",
        "/affirm",
        "true",
        "ｙｅｓ",
        "she's missing",
        "he is still missing",
    ],
)
def test_yes(text: str) -> None:
    assert validate_yes_no(text) == ok(True)


@pytest.mark.parametrize(
    "text",
    [
        "no",
        "No.",
        "NO",
        "nope",
        "nah",
        "not really",
        "definitely not",
        "n",
        "N",
        "nooo",
        "no thanks",
        "no thank you",
        "absolutely not",
        "not at all",
        "please don't",
        "don't",
        "rather not",
        "I'd rather not",
        "better not",
        "it's not safe",
        "it isn’t safe",
        "no way",
        "never",
        "👎",
        "/deny",
        "false",
        "she's not missing",
        "not now",
        "I don't think so",
    ],
)
def test_no(text: str) -> None:
    assert validate_yes_no(text) == ok(False)


@pytest.mark.parametrize("text", ["not sure", "don't know", "I dunno", "maybe", "no idea", "it depends"])
def test_unsure_counts_as_no_answer(text: str) -> None:
    assert validate_yes_no(text) == SKIPPED


@pytest.mark.parametrize(
    "text", ["hmm", "what do you mean?", "no, it's fine", "yes and no", "yeah nah", "👍👎", "purple", "42"]
)
def test_unclear_yes_no_is_re_asked(text: str) -> None:
    assert validate_yes_no(text) == err("yes_no_unclear")


# --- best times -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mornings", ["morning"]),
        ("morning", ["morning"]),
        ("afternoon", ["afternoon"]),
        ("evening", ["evening"]),
        ("mornings or evenings", ["morning", "evening"]),
        ("Evenings and mornings", ["morning", "evening"]),
        ("morning,afternoon", ["morning", "afternoon"]),
        ("any time", ["any"]),
        ("Anytime", ["any"]),
        ("whenever", ["any"]),
        ("I don't mind", ["any"]),
        ("any", ["any"]),
        ("24/7", ["any"]),
        ("after 6pm", ["evening"]),
        ("after 6", ["evening"]),
        ("after six", ["evening"]),
        ("after 18:00", ["evening"]),
        ("around 7 p.m.", ["evening"]),
        ("lunchtime", ["afternoon"]),
        ("at lunch", ["afternoon"]),
        ("before 12", ["morning"]),
        ("before noon", ["morning"]),
        ("9am", ["morning"]),
        ("at 3", ["afternoon"]),
        ("half 5", ["evening"]),
        ("9 to 5", ["morning", "afternoon"]),
        ("9am-5pm", ["morning", "afternoon"]),
        ("between 10 and 2", ["morning", "afternoon"]),
        ("7-9pm", ["evening"]),
        ("7–9pm", ["evening"]),
        ("during the day", ["morning", "afternoon"]),
        ("after school", ["afternoon"]),
        ("nights", ["evening"]),
        ("any time after 6pm", ["evening"]),
        ("any time but mornings", ["afternoon", "evening"]),
        ("any time except evenings", ["morning", "afternoon"]),
        ("not evenings", ["morning", "afternoon"]),
        ("evenings, not mornings", ["evening"]),
        ("not before 10am", ["morning", "afternoon", "evening"]),
        ("ＭＯＲＮＩＮＧＳ", ["morning"]),
        ("mornings 🙂", ["morning"]),
    ],
)
def test_best_times(text: str, expected: list[str]) -> None:
    assert validate_best_times(text) == ok(expected)


@pytest.mark.parametrize(
    "text", ["weekends", "Tuesdays", "purple", "42", "😀", "not mornings, not afternoons, not evenings"]
)
def test_unclear_times_are_re_asked(text: str) -> None:
    assert validate_best_times(text) == err("times_unclear")


# --- nation and area ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("England", ok("england")),
        ("england", ok("england")),
        ("I'm in England", ok("england")),
        ("ENGLAND!", ok("england")),
        ("Ｅｎｇｌａｎｄ", ok("england")),
        ("wales", ok("wales")),
        ("Cymru", ok("wales")),
        ("Wales (Cymru)", ok("wales")),
        ("not england, wales", ok("wales")),
        ("Scotland", err("outside_england_wales")),
        ("I live in Scotland", err("outside_england_wales")),
        ("Northern Ireland", err("outside_england_wales")),
        ("NI", err("outside_england_wales")),
        ("Ireland", err("outside_england_wales")),
        ("abroad", err("outside_england_wales")),
        ("not England or Wales", err("outside_england_wales")),
        ("England and Wales", err("nation_unclear")),
        ("UK", err("nation_unclear")),
        ("Leeds", err("nation_unclear")),
    ],
)
def test_nation(text: str, expected: Validated) -> None:
    assert validate_nation(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Leeds", ok("Leeds")),
        ("  Rhondda   Cynon   Taf ", ok("Rhondda Cynon Taf")),
        ("Cardiff.", ok("Cardiff")),
        ("Brighton & Hove", ok("Brighton & Hove")),
        ("Ynys Môn", ok("Ynys Môn")),
        ("<b>Kent</b>", ok("bKent/b")),
        ("＜Kent＞", ok("Kent")),
        ("Kent\u200b", ok("Kent")),
        ("Hu", ok("Hu")),
        ("x" * 60, ok("x" * 60)),
        ("x", err("area_unclear")),
        ("x" * 61, err("area_unclear")),
        ("123", err("area_unclear")),
        ("😀😀", err("area_unclear")),
        ("<>", err("area_unclear")),
    ],
)
def test_area(text: str, expected: Validated) -> None:
    assert validate_area(text) == expected


# --- relationship ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mum", "mother"),
        ("Mum", "mother"),
        ("mom", "mother"),
        ("mother", "mother"),
        ("mam", "mother"),
        ("I'm his mum", "mother"),
        ("I’m her mummy", "mother"),
        ("dad", "father"),
        ("father", "father"),
        ("I'm the dad", "father"),
        ("stepmum", "step_parent"),
        ("step-mum", "step_parent"),
        ("stepdad", "step_parent"),
        ("step dad", "step_parent"),
        ("nan", "grandparent"),
        ("nana", "grandparent"),
        ("gran", "grandparent"),
        ("grandad", "grandparent"),
        ("grandma", "grandparent"),
        ("her great gran", "grandparent"),
        ("foster carer", "foster_carer"),
        ("we're fostering", "foster_carer"),
        ("foster mum", "foster_carer"),
        ("kinship carer", "kinship_carer"),
        ("special guardian", "kinship_carer"),
        ("his nan and special guardian", "kinship_carer"),
        ("aunt", "other_relative"),
        ("auntie", "other_relative"),
        ("uncle", "other_relative"),
        ("big sister", "other_relative"),
        ("brother", "other_relative"),
        ("cousin", "other_relative"),
        ("stepsister", "other_relative"),
        ("neighbour", "other"),
        ("family friend", "other"),
        ("mum's partner", "other"),
        ("parent", "other"),
        ("not his mum, his nan", "grandparent"),
        ("ＭＵＭ", "mother"),
        # button payload values come back as themselves
        ("step_parent", "step_parent"),
        ("foster_carer", "foster_carer"),
        ("kinship_carer", "kinship_carer"),
        ("other_relative", "other_relative"),
        ("grandparent", "grandparent"),
        ("other", "other"),
    ],
)
def test_relationship(text: str, expected: str) -> None:
    assert validate_relationship(text) == ok(expected)


@pytest.mark.parametrize("text", ["😀", "123", "?!"])
def test_relationship_without_words_is_re_asked(text: str) -> None:
    assert validate_relationship(text) == err("relationship_unclear")


# --- child's age ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14", 14),
        ("she's 14", 14),
        ("She’s 14", 14),
        ("fourteen", 14),
        ("Fourteen.", 14),
        ("14 years old", 14),
        ("14yo", 14),
        ("14 y/o", 14),
        ("13 and a half", 13),
        ("13½", 13),
        ("13.5", 13),
        ("１４", 14),
        ("he's nearly fifteen", 15),
        ("twenty-one", 21),
        ("twenty one", 21),
        ("0", 0),
        ("24", 24),
        ("18 months", 1),
        ("6 months", 0),
        ("3 weeks", 0),
        ("year 9", 13),
        ("she's in Year 11", 15),
        ("Year 9, she's 14", 14),
        ("I have 2 kids, the one I'm worried about is 14", 14),
        ("14 (15 next month)", 14),
        ("my son is 16 years old", 16),
        ("aged 12", 12),
    ],
)
def test_child_age(text: str, expected: int) -> None:
    assert validate_child_age(text) == ok(expected)


@pytest.mark.parametrize("text", ["25", "she's 30", "thirty", "100", "99999999999999999999", "1" * 5000])
def test_age_out_of_range_is_re_asked(text: str) -> None:
    assert validate_child_age(text) == err("age_out_of_range")


@pytest.mark.parametrize("text", ["a teenager", "none", "old enough", "😀", "?"])
def test_age_not_found_is_re_asked(text: str) -> None:
    assert validate_child_age(text) == err("age_unclear")


# --- concerns -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sexual", ["sexual"]),
        ("sexual exploitation", ["sexual"]),
        ("CSE", ["sexual"]),
        ("sex", ["sexual"]),
        ("criminal", ["criminal"]),
        ("drugs", ["criminal"]),
        ("county lines", ["criminal"]),
        ("a gang", ["criminal"]),
        ("CCE", ["criminal"]),
        ("online", ["online"]),
        ("the internet", ["online"]),
        ("nudes on snapchat", ["online"]),
        ("images", ["online"]),
        ("social media", ["online"]),
        ("sex and drugs", ["sexual", "criminal"]),
        ("drugs, and online", ["criminal", "online"]),
        ("online, sexual, criminal", ["sexual", "criminal", "online"]),
        ("all of the above", ["sexual", "criminal", "online"]),
        ("sextortion", ["sexual", "online"]),
        ("not sure", ["not_sure"]),
        ("don't know", ["not_sure"]),
        ("I’m not sure", ["not_sure"]),
        ("not_sure", ["not_sure"]),
        ("not sure, maybe drugs", ["criminal"]),
        ("not drugs, online", ["online"]),
        ("ＤＲＵＧＳ", ["criminal"]),
    ],
)
def test_concerns(text: str, expected: list[str]) -> None:
    assert validate_concerns(text) == ok(expected)


@pytest.mark.parametrize("text", ["grooming", "purple", "😀", "not drugs"])
def test_unclear_concerns_are_re_asked(text: str) -> None:
    assert validate_concerns(text) == err("concerns_unclear")


# --- agencies -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("police", ["police"]),
        ("the cops", ["police"]),
        ("I rang 101", ["police"]),
        ("social services", ["childrens_services"]),
        ("a social worker", ["childrens_services"]),
        ("children's services", ["childrens_services"]),
        ("children’s services", ["childrens_services"]),
        ("social care", ["childrens_services"]),
        ("MASH", ["childrens_services"]),
        ("childrens_services", ["childrens_services"]),
        ("school", ["school"]),
        ("college", ["school"]),
        ("her teacher", ["school"]),
        ("GP", ["health"]),
        ("the doctor", ["health"]),
        ("CAMHS", ["health"]),
        ("hospital", ["health"]),
        ("health visitor", ["health"]),
        ("a nurse", ["health"]),
        ("A&E", ["health"]),
        ("police and school", ["police", "school"]),
        ("school, GP, police, social worker", ["police", "childrens_services", "school", "health"]),
        ("none", ["none"]),
        ("nobody", ["none"]),
        ("no one", ["none"]),
        ("No-one", ["none"]),
        ("no", ["none"]),
        ("not yet", ["none"]),
        ("we haven't told anyone", ["none"]),
        ("not the police", ["none"]),
        ("neither police nor school", ["none"]),
        ("nobody except the school", ["school"]),
        ("none, apart from school", ["school"]),
        ("no police but school are involved", ["school"]),
        ("the police, not school", ["police"]),
        ("school, but police aren't involved", ["school"]),
    ],
)
def test_agencies(text: str, expected: list[str]) -> None:
    result = validate_agencies(text)
    assert result == ok(expected)
    assert "none" not in result.value or result.value == ["none"]  # type: ignore[operator]


@pytest.mark.parametrize("text", ["my sister", "purple", "😀"])
def test_unclear_agencies_are_re_asked(text: str) -> None:
    assert validate_agencies(text) == err("agencies_unclear")


# --- crime reference ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("42/12345/24", ok("42/12345/24")),
        ("  42/12345/24 ", ok("42/12345/24")),
        ("Crime number: 42/12345/24", ok("42/12345/24")),
        ("ref 01-2345", ok("01-2345")),
        ("ref – 12/34", ok("12/34")),
        ("CAD 1234", ok("CAD 1234")),
        ("CAD   1234", ok("CAD 1234")),
        ("MPS-2024-0001", ok("MPS-2024-0001")),
        ("１２３４５", ok("12345")),
        ("1" * 30, ok("1" * 30)),
        ("don't have one", SKIPPED),
        ("I haven't got one", SKIPPED),
        ("n/a", SKIPPED),
        ("none", SKIPPED),
        ("not sure", SKIPPED),
        ("1" * 31, err("crime_reference_unclear")),
        ("abc", err("crime_reference_unclear")),
        ("12345; DROP TABLE", err("crime_reference_unclear")),
        ("<b>1234</b>", err("crime_reference_unclear")),
        ("1234 😀", err("crime_reference_unclear")),
    ],
)
def test_crime_reference(text: str, expected: Validated) -> None:
    assert validate_crime_reference(text) == expected


# --- what help is wanted --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Someone to talk to", "Someone to talk to"),
        ("  Someone   to\ttalk to  ", "Someone to talk to"),
        ("First.\n\n\n\nSecond.", "First.\n\nSecond."),
        ("line one\nline two", "line one\nline two"),
        ("Help <please> 😢", "Help <please> 😢"),
        ("He said \u202egnp.exe\u202c", "He said gnp.exe"),
        ("x" * 600, "x" * 600),
        ("no", "no"),
    ],
)
def test_help_wanted_is_kept_as_written_but_cleaned(text: str, expected: str) -> None:
    assert validate_help_wanted(text) == ok(expected)


def test_help_wanted_that_is_too_long_is_re_asked() -> None:
    assert validate_help_wanted("x" * 601) == err("too_long")
    assert validate_help_wanted("x" * 600 + "   \n\n ") == ok("x" * 600)  # trailing space does not count
