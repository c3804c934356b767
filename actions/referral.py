"""Thin Rasa actions for the self-referral: they read the tracker, call bot.handoff, and send the result."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import CONTENT, INSIGHT, REFERRAL_FORM
from bot import conversation
from bot.conversation import BotMessage
from bot.handoff import form
from bot.handoff.outbox import webhook_settings_from_env
from bot.handoff.submit import Submission, submit
from bot.payloads import first_entity
from bot.safety.records import safety_record, with_record
from bot.storage.crypto import Cipher
from bot.storage.repository import ReferralStore, SpoolDirectory

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def referral_store() -> ReferralStore:
    """One engine per action server process, made on first use (the database may start later)."""
    return ReferralStore.from_env()


def say(dispatcher: CollectingDispatcher, message: BotMessage) -> None:
    dispatcher.utter_message(text=message.text, buttons=message.buttons)


def clear_answers() -> list[EventType]:
    return [SlotSet(name, None) for name in form.FORM_FIELDS]


def ask_consent_first(tracker: Tracker, step: str) -> list[EventType] | None:
    """The consent step instead, where this conversation has no yes to it (a typed or forged payload)."""
    if form.consent_given(tracker.events):
        return None
    log.warning("self-referral step %s refused: no consent in this conversation", step)
    return [FollowupAction(form.CONSENT_ACTION)]


class ActionReferralConsent(Action):
    def name(self) -> str:
        return form.CONSENT_ACTION

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        say(dispatcher, form.consent(CONTENT.get()))
        return []


class ActionReferralDeclined(Action):
    def name(self) -> str:
        return "action_referral_declined"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        say(dispatcher, form.referral_message(CONTENT.get(), "declined"))
        return clear_answers()


class ActionReferralCancel(Action):
    """Stop: every answer is dropped. Outside a referral it is just an "okay"."""

    def name(self) -> str:
        return "action_referral_cancel"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        content = CONTENT.get()
        if not (form.has_answers(tracker.slots) or tracker.active_loop_name == REFERRAL_FORM):
            say(dispatcher, conversation.message(content, "deny"))
            return []
        say(dispatcher, form.referral_message(content, "cancelled"))
        return clear_answers()


class ActionReferralReview(Action):
    def name(self) -> str:
        return "action_referral_review"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        if (consent_step := ask_consent_first(tracker, self.name())) is not None:
            return consent_step
        say(dispatcher, form.review(CONTENT.get(), tracker.slots))
        return []


class ActionReferralChange(Action):
    """With a field: forget that one answer and ask it again. Without: list the answers to change."""

    def name(self) -> str:
        return "action_referral_change"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        if (consent_step := ask_consent_first(tracker, self.name())) is not None:
            return consent_step
        field_name = first_entity(tracker.get_latest_entity_values("field"), allowed=form.FORM_FIELDS)
        if field_name:
            return [SlotSet(field_name, None), FollowupAction(REFERRAL_FORM)]
        say(dispatcher, form.change_choices(CONTENT.get(), tracker.slots))
        return []


class ActionReferralSubmit(Action):
    def name(self) -> str:
        return "action_referral_submit"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        if (consent_step := ask_consent_first(tracker, self.name())) is not None:
            return consent_step
        content = CONTENT.get()
        events = tracker.events
        answers = form.answers_from_slots(tracker.slots)
        submission = Submission(
            sender_id=tracker.sender_id,
            answers=answers,
            safety_events=list(tracker.get_slot("safety_events") or []),
            topics_viewed=list(tracker.get_slot("topics_viewed") or []),
            channel=tracker.get_latest_input_channel() or "unknown",
            started_at=form.form_started_at(events) or datetime.now(timezone.utc),
            transcript=form.transcript(events) if answers["include_transcript"] else None,
        )
        try:
            result = await asyncio.to_thread(  # the database must not hold up other conversations
                submit,
                submission,
                referral_store,
                SpoolDirectory.from_env(Cipher.from_env()),
                notify=bool(webhook_settings_from_env().url),
            )
        except Exception as exc:  # a broken setup must not crash the action: rasa-sdk would log the whole chat
            log.error("referral could not be saved or spooled: %s", type(exc).__name__)
            say(dispatcher, form.referral_message(content, "submit_failed"))
            return []  # answers kept, so "send it" can be tried again once fixed
        handoffs = [("handoff", topic, "") for topic in submission.topics_viewed]
        await asyncio.to_thread(INSIGHT.record, handoffs, conversation=tracker.sender_id, day=datetime.now(timezone.utc).date())
        message_id = "submit_delayed" if not result.stored else "submitted_urgent" if result.urgent else "submitted"
        say(dispatcher, form.referral_message(content, message_id, result.reference))
        return clear_answers()


class ValidateReferralForm(FormValidationAction):
    """Asks only the questions that apply, and re-asks an answer it could not understand."""

    def name(self) -> str:
        return f"validate_{form.FORM_NAME}"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[str]:
        if not form.consent_given(tracker.events):
            return []  # no questions without a yes: the review step then asks for consent
        return form.required_fields(tracker.slots)


def _validator(field_name: str):  # type: ignore[no-untyped-def]
    async def validate(
        self: ValidateReferralForm,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        slot_value, error = form.validate_answer(field_name, value, tracker.slots)
        if error:
            say(dispatcher, form.re_ask(CONTENT.get(), field_name, error))
            return {field_name: None}
        if field_name == "child_missing_now" and slot_value is True:
            # The parent has just said their child is missing: the help comes before the next question.
            dispatcher.utter_message(response="utter_safety_missing_now")
            record = safety_record("missing_now")
            return {field_name: True, "safety_events": with_record(tracker.get_slot("safety_events"), record)}
        return {field_name: slot_value}

    return validate


def _asker(field_name: str) -> type[Action]:
    def name(self: Action) -> str:
        return form.ask_action(field_name)

    async def run(
        self: Action, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        say(dispatcher, form.question(CONTENT.get(), field_name))
        return []

    return type(f"ActionAsk_{field_name}", (Action,), {"name": name, "run": run, "__module__": __name__})


for _field in form.FORM_FIELDS:
    setattr(ValidateReferralForm, f"validate_{_field}", _validator(_field))
ASK_ACTIONS = [_asker(_field) for _field in form.FORM_FIELDS]
