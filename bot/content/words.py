"""The short words the screens show that are not guidance: the chat's standard buttons (messages.yml
`buttons:`), the web service's words to parents and the widget's (web.yml), the staff pages' headings and
messages (staff.yml `pages:` and `flash:`). The keys are set here, where the code needs them; the words
belong to editors, and the content check reports a missing or empty one with its file and key.

Each key maps to the {placeholders} its words must use (most use none). What the hand-off needs worded
(the case text, statuses, priorities) it tells the check itself (bot.handoff.form.REFERRAL_NEEDS).
"""

from __future__ import annotations

from bot.content.models import SERVICE_DETAIL_FIELDS, Content, LabelKeys, fill
from bot.safety.intents import SAFETY_INTENTS

NONE: frozenset[str] = frozenset()
# The widget names them in an entry's date (widget_notes: day_sunday ... month_december).
DAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
    "december",
)
WEB_FILE = "web.yml"  # inside the content folder
# The fields of a service the workspace edits, in the order of its form (bot.content.editing uses them too).
SERVICE_FIELDS = (
    "name",
    *(field for field in SERVICE_DETAIL_FIELDS if field != "about"),
    "about",
    "verified",
    "needs_confirming",
)


def _plain(*keys: str) -> LabelKeys:
    return dict.fromkeys(keys, NONE)


# content/messages.yml `buttons:`: the buttons the conversation adds itself. The four safety intents' labels
# are the "yes" to a check question (bot/safety/intents.py).
BUTTON_WORDS: LabelKeys = {
    **_plain("next", "more", "menu", "talk_to_someone", "help_now", "something_else", *SAFETY_INTENTS),
    "carry_on": frozenset({"topic"}),
}

# content/web.yml, by section.
WEB_WORDS: dict[str, LabelKeys] = {
    # What the web service answers a parent when a message or the notes cannot go through (bot/web/).
    "chat_errors": {
        **_plain(
            "not_allowed", "not_json", "too_big", "unavailable", "not_answering_yet", "not_object", "bad_sender",
            "not_text", "empty", "too_slow", "no_uploads", "not_found", "wrong_method", "not_right",
        ),
        "too_fast": frozenset({"seconds"}),
        "too_long": frozenset({"count", "max"}),
    },
    "notes_errors": {
        **_plain(
            "nothing_yet", "too_big", "too_slow", "busy", "not_allowed", "send_json", "not_json", "not_working",
            "no_pdf", "no_email", "email_failed", "needs_yes", "not_added", "assistant_away", "email_not_one",
            "email_not_valid",
        ),
        "too_fast": frozenset({"seconds"}),
        "part_too_long": frozenset({"where"}),
        "too_many_entries": frozenset({"max"}),
        "unreadable": frozenset({"where", "rule"}),
    },
    # The chat widget's own words (bot/web/static/widget.js), sent with /widget/config.json.
    "widget": {
        **_plain(
            "title", "exit", "help_now", "launch", "close", "close_label", "notice", "hide_note", "safety_title",
            "safety_1", "safety_2", "safety_3", "safety_4", "safety_5", "conversation_label", "retry", "send",
            "message_label", "message_hint", "clear", "safety_toggle", "you", "assistant", "replies_label",
            "typing", "not_sent_error", "not_sent_yet", "unreachable", "unreachable_kept", "unreachable_help",
            "reconnected", "send_now", "wait_for_reply", "cleared", "exit_done", "opens_new_tab",
        ),
        "exit_presses_one": frozenset({"count"}),
        "exit_presses_many": frozenset({"count"}),
    },
    # The widget's notes panel: its buttons and notes (the boxes and texts are in notes.yml).
    "widget_notes": {
        **_plain(
            "back", "add_entry", "entries_label", "keep_title", "which_notes", "new_entry", "edit_entry",
            "save_entry", "cancel", "edit", "delete", "delete_yes", "delete_no", "delete_question",
            "entry_deleted", "entry_empty", "entry_saved", "save_pdf", "save_page", "email_me", "add_to_referral",
            "add_first", "save_on_device", "email_instead", "referral_instead", "email_label", "email_send",
            "email_missing", "sent", "referral_yes", "added", "please_wait", "failed", "no_date",
            *(f"day_{day}" for day in DAYS), *(f"month_{month}" for month in MONTHS),
        ),
        "entry_date": frozenset({"weekday", "day", "month", "year"}),
        "entry_date_time": frozenset({"date", "time"}),
        "pdf_page": frozenset({"number", "pages"}),  # the notes PDF's footer (bot/notes/pdf.py)
        "more_fields": frozenset({"fields"}),
        "edit_label": frozenset({"when"}),
        "delete_label": frozenset({"when"}),
        "saved_as": frozenset({"file"}),
    },
    # The demo website page (bot/web/widget/templates/demo.html): what a parent reads around the chat.
    "demo": {
        **_plain("title", "site_name", "site_tag", "intro", "automated", "help_now", "needs_javascript"),
        "about": frozenset({"launch"}),
    },
}

# content/staff.yml, beside the hand-off's sections: the staff pages' headings and one-off messages.
STAFF_PAGE_WORDS: dict[str, LabelKeys] = {
    "pages": {
        **_plain(
            "site", "brand", "brand_tag", "skip", "nav_label", "nav_queue", "nav_overview", "nav_content",
            "nav_check", "nav_insight", "nav_accounts", "nav_audit", "sign_out", "sign_in", "queue", "referrals",
            "before_you_call", "why_urgent", "work", "details", "help_wanted", "safety_given", "topics_before",
            "transcript", "parent_notes", "missing_sheet", "staff_notes", "case_text", "history", "erase",
            "overview", "per_week", "share_urgent", "topics_looked_at", "figures", "audit", "accounts",
            "add_account", "content", "services", "safety_files", "check", "broken_links", "services_due",
            "reading_ease", "every_finding", "insight", "insight_heading", "safety_title", "edit_service",
            "edit_step", "back_to_queue",
        ),
        "referral": frozenset({"reference"}),
        "overview_heading": frozenset({"weeks"}),
        "history_title": frozenset({"file"}),
        "history_heading": frozenset({"file"}),
        "version": frozenset({"number"}),
        "preview_title": frozenset({"topic"}),
        "preview_step": frozenset({"number", "step"}),
        "edit_service_title": frozenset({"service"}),
        "edit_step_title": frozenset({"topic", "step"}),
    },
    # The queue page (bot/web/staff/templates/queue.html).
    "queue": {
        **_plain(
            "new_referrals", "reload", "counts_label", "count_urgent_open", "count_open", "status", "status_open",
            "status_all", "priority", "priority_any", "reference", "show", "clear", "tick_all", "received",
            "assigned_to", "export_ticked", "pages_label", "previous", "next", "no_match",
        ),
        "showing_reference": frozenset({"reference"}),
        "caption_one": frozenset({"count"}),
        "caption_many": frozenset({"count"}),
        "tick_one": frozenset({"reference"}),
        "page_of": frozenset({"number", "pages"}),
    },
    # The other staff pages' table headings, form labels, buttons and counts (bot/web/staff/templates/).
    "labels": {
        **_plain(
            "username", "role", "state", "last_sign_in", "change", "active", "disabled", "never", "change_role",
            "disable", "enable", "new_password", "set_password", "add_the_account", "reference",
            "show", "clear", "not_a_reference", "when", "who", "what", "detail", "pages_label", "newer", "older",
            "password", "where", "reading_ease", "characters", "topic", "steps", "file", "history", "period",
            "opened", "step_views", "more_taps", "not_understood", "handoffs", "check_and_save",
            "check_and_save_lexicon", "per_week_caption", "week_of", "total", "topics_caption", "change_status",
            "unassign_me", "assign_to_me", "add_note", "copy_summary", "erase", "just_now", "version_saved",
            "version_restored", "version_on_disk",
            "route", "contact_by", "leave_message", "do_not_leave_message", "say_who_is_calling", "do_not_say_who",
            "name_to_use", "best_times", "status", "export", "none", "notes_private", "add_a_note", "erase_when",
            "type_to_confirm", "on_this_page", "nav_broken", "nav_due", "nav_findings", "not_on_menu",
            "edit_this_step", "back_to_preview", "step_text", "step_more", "count_referrals", "count_no_topic",
            "no_topics_in_period",
        ),
        "conversation_times": frozenset({"channel", "started", "submitted"}),
        # A moment, as the staff pages write it (bot.web.staff.present.when): "Sun 22 Nov 2026, 23:10".
        "when": frozenset({"weekday", "day", "month", "year", "time"}),
        **_plain(*(f"day_{day[:3]}" for day in DAYS), *(f"month_{month[:3]}" for month in MONTHS)),
        # How long ago (bot.web.staff.present.ago): one and many of each unit.
        **{f"{unit}{end}_ago": frozenset({"count"}) for unit in ("minute", "hour", "day") for end in ("", "s")},
        "accounts_one": frozenset({"count"}),
        "accounts_many": frozenset({"count"}),
        "password_rule": frozenset({"min"}),  # bot.accounts.staff.MIN_PASSWORD_CHARS
        "entries_one": frozenset({"count"}),
        "entries_many": frozenset({"count"}),
        "page_of": frozenset({"number", "pages"}),
        "restore_version": frozenset({"number"}),
        "topics_count": frozenset({"count"}),
        "last_days": frozenset({"days"}),
    },
    # Each role on the accounts page (bot.storage.roles.STAFF_ROLES), and each kind of finding on the check page.
    "roles": _plain("staff", "editor", "admin"),
    "findings": _plain("error", "warning"),
    "flash": {
        **_plain(
            "signed_out", "assigned_to_you", "unassigned", "note_added", "erase_not_confirmed", "tick_to_export",
            "session_ended", "cannot_demote_yourself", "cannot_disable_yourself", "nothing_changed",
            "restore_current", "not_written",
        ),
        "idle_signed_out": frozenset({"minutes"}),
        "status_changed": frozenset({"status"}),
        "status_unchanged": frozenset({"status"}),
        "note_invalid": frozenset({"max"}),
        "erased": frozenset({"reference"}),
        "account_not_added": frozenset({"reason"}),
        "account_added": frozenset({"name", "role"}),
        "role_changed": frozenset({"name", "role"}),
        "role_unchanged": frozenset({"name", "role"}),
        "account_enabled": frozenset({"name"}),
        "account_disabled": frozenset({"name"}),
        "password_not_changed": frozenset({"reason"}),
        "password_set": frozenset({"name"}),
        "saved": frozenset({"detail"}),
        "restore_refused": frozenset({"number", "reasons"}),
        "restored": frozenset({"number"}),
        "restore_not_written": frozenset({"number"}),
    },
    # What a page says when it cannot do what was asked (bot/web/staff/: error pages, sign-in, the queue's search).
    "errors": {
        **_plain(
            "starting", "database_down", "form_unreadable", "form_expired", "role_no_access", "sign_in_first",
            "api_role_no_access", "api_token_stale", "sign_in_failed", "wait_one_second", "not_a_reference",
            "no_such_reference", "referrals_unworded", "choose_status", "assign_who", "choose_format", "export_none",
            "admins_only_erase", "admins_only_audit", "no_account", "choose_role", "say_active", "content_broken",
            "no_topic", "no_step", "no_service", "no_safety_reply", "safety_admins_only", "choose_version",
            "no_version", "file_changed", "lexicon_refused",
        ),
        "sign_in_throttled": frozenset({"wait"}),
        "wait_seconds": frozenset({"count"}),
        "wait_one_minute": frozenset({"time"}),
        "wait_minutes": frozenset({"count", "time"}),
        "referral_gone": frozenset({"reference"}),
        "no_referral": frozenset({"reference"}),
        "summary_unreadable": frozenset({"reference"}),
        "export_too_many": frozenset({"max"}),
        "cannot_open_referrals": frozenset({"reason"}),  # a setting's problem, at start-up (bot.web.staff)
    },
    # Each error page's heading (NAME_title) and usual words (bot.web.staff.views.ERROR_PAGES).
    "error_pages": _plain(
        *(
            f"{name}{end}"
            for name in (
                "bad_request", "sign_in", "forbidden", "not_found", "wrong_method", "too_slow", "too_big",
                "no_uploads", "server_error", "unavailable", "other",
            )
            for end in ("", "_title")
        )
    ),
    # Why an account was refused (bot.accounts.staff.AccountError): on the accounts page and from the command line.
    "account_errors": {
        **_plain("bad_username", "password_has_username"),
        "password_too_short": frozenset({"min"}),
        "password_too_long": frozenset({"max"}),
        "account_exists": frozenset({"name"}),
    },
    # Why the workspace cannot make an edit (bot.content.editing.EditError), and the boxes they name (`box`: the
    # step form's, the safety reply's, and each field of a service, bot.content.editing.SERVICE_FIELDS).
    "edit_errors": {
        **_plain("not_a_file", "no_such_file", "verified_date"),
        "not_yaml": frozenset({"detail"}),
        "too_long": frozenset({"box", "count", "max"}),
        "invisible": frozenset({"box"}),
        "empty": frozenset({"box"}),
        "no_step": frozenset({"step"}),
        "no_service": frozenset({"service"}),
        "no_message": frozenset({"message"}),
    },
    "edit_boxes": _plain("step_text", "step_more", "safety_reply", *SERVICE_FIELDS),
    # Each page's explanations (bot/web/staff/templates/), a section a page.
    "accounts_page": _plain("intro"),
    "audit_page": _plain("intro"),
    "login_page": {**_plain("recorded"), "for_team": frozenset({"team"})},
    "referral_page": {
        **_plain("nobody", "copied", "not_copied"),  # copied, not_copied: the copy button's result (static/copy.js)
        "received": frozenset({"when", "ago"}),
        "assigned": frozenset({"who"}),
        "parent_notes_added": frozenset({"added"}),
    },
    # The overview's charts (bot/web/staff/charts.py): each bar's tooltip, the axis and the dates under the bars.
    "charts": {
        "week_standard": frozenset({"day", "count"}),
        "week_urgent": frozenset({"day", "count"}),
        "week_share": frozenset({"day", "percent", "urgent", "total"}),
        "topic": frozenset({"topic", "count"}),
        "percent": frozenset({"value"}),
        "week_day": frozenset({"day", "month"}),
        "week_date": frozenset({"day", "month", "year"}),
    },
    "content_page": {
        **_plain("intro", "source", "services_history", "safety_link"),
        "services_intro": frozenset({"history"}),
        "safety_line": frozenset({"link"}),
    },
    "preview_page": {**_plain("intro", "phone", "desktop", "after_more"), "history": frozenset({"file"})},
    "step_page": {"where": frozenset({"topic", "step", "file"}), "hint": frozenset({"example"})},
    "service_page": {**_plain(*SERVICE_FIELDS, "verified_hint"), "where": frozenset({"service", "id", "file"})},
    "safety_page": {
        **_plain("admins_only", "keep_numbers", "reaches_parents", "lexicon", "messages_history", "lexicon_history"),
        "model_copy": frozenset({"sync", "train"}),
    },
    "history_page": _plain("intro", "in_use", "changes_label", "no_change", "first_version"),
    "check_page": {
        **_plain("no_broken", "none_due", "too_short", "nothing_found"),
        "to_fix_one": frozenset({"errors", "warnings"}),
        "to_fix_many": frozenset({"errors", "warnings"}),
        "same_check": frozenset({"command"}),
        "reading_help": frozenset({"min"}),
    },
    "insight_page": {
        **_plain("counted", "not_counting"),
        "period": frozenset({"first", "last"}),
        "small_counts": frozenset({"min"}),
    },
    # Above an edit form that was not saved (templates/_problems.html).
    "save_refused": _plain("not_saved", "unchanged", "check_found", "warnings"),
}


class WordedError(ValueError):
    """A refusal whose words are in content/: `key` names them (in the section the raiser's catcher reads),
    `values` fill their {placeholders}, `status` is the HTTP status to answer with. Raised below the web layer,
    which words it from the live content."""

    def __init__(self, key: str, status: int = 400, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.status = status
        self.values = values


def words(content: Content, section: str, key: str, **values: object) -> str:
    """One web.yml label with its placeholders filled (the content check makes sure it is there)."""
    return fill(content.web[section][key], **values)


def staff_words(content: Content, section: str, key: str, **values: object) -> str:
    """One staff.yml label with its placeholders filled."""
    return fill(content.staff[section][key], **values)
