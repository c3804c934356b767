"""Thin Rasa custom actions: read the tracker, ask bot.conversation what to say, send it."""

from __future__ import annotations

import abc
import asyncio
import contextlib
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot import conversation
from bot.config import get_settings
from bot.content.store import ContentStore, ContentUnavailable
from bot.handoff import form as referral_form
from bot.payloads import first_entity
from bot.safety.records import INTERRUPTING, safety_record, with_record
from bot.storage.insight import InsightRecorder

CONTENT = ContentStore(get_settings().content_dir, referral_form.REFERRAL_NEEDS)
INSIGHT = InsightRecorder.from_env()  # counts for the editors' insight page; off without INSIGHT_KEY
REFERRAL_FORM = referral_form.FORM_NAME


def latest_intent(tracker: Tracker) -> str:
    return str((tracker.latest_message.get("intent") or {}).get("name") or "")


def place_of(tracker: Tracker) -> conversation.Place:
    return conversation.Place(tracker.get_slot("current_topic"), tracker.get_slot("current_step"))


def send(dispatcher: CollectingDispatcher, tracker: Tracker, turn: conversation.Turn) -> list[EventType]:
    for bot_message in turn.messages:
        dispatcher.utter_message(text=bot_message.text, buttons=bot_message.buttons)
    events: list[EventType] = [
        SlotSet("current_topic", turn.place.topic_id),
        SlotSet("current_step", turn.place.step_id),
    ]
    viewed = list(tracker.get_slot("topics_viewed") or [])
    if turn.opened_topic and turn.opened_topic not in viewed:
        events.append(SlotSet("topics_viewed", viewed + [turn.opened_topic]))
    return events


class ContentAction(Action, abc.ABC):
    """Runs `respond`; if the content cannot be read at all, still gives the emergency numbers.

    Abstract, so that rasa-sdk registers only the concrete actions below.
    """

    insight = ""  # what the editors' insight page counts this action as (bot.conversation.insight_events)

    @abc.abstractmethod
    def respond(self, tracker: Tracker) -> conversation.Turn:
        """What to say, from the live content and the tracker."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        try:
            turn = self.respond(tracker)
        except ContentUnavailable:
            dispatcher.utter_message(response="utter_help_now")
            return []
        if self.insight:
            events = conversation.insight_events(self.insight, place_of(tracker), turn)
            day = datetime.now(timezone.utc).date()
            await asyncio.to_thread(INSIGHT.record, events, conversation=tracker.sender_id, day=day)
        return send(dispatcher, tracker, turn)


class ActionStartTopic(ContentAction):
    insight = "start"

    def name(self) -> str:
        return "action_start_topic"

    def respond(self, tracker: Tracker) -> conversation.Turn:
        content = CONTENT.get()
        goto = first_entity(tracker.get_latest_entity_values("topic"))
        if goto is not None:  # a button: the parent chose it
            return conversation.start_topic(content, goto)
        topic = content.topic_for_intent(latest_intent(tracker))
        if topic is None:
            return conversation.show_menu(content)
        return conversation.understood_topic(content, topic, intent_ranking(tracker))


class ActionTopicNext(ContentAction):
    insight = "next"

    def name(self) -> str:
        return "action_topic_next"

    def respond(self, tracker: Tracker) -> conversation.Turn:
        return conversation.next_step(CONTENT.get(), place_of(tracker))


class ActionTopicMore(ContentAction):
    insight = "more"

    def name(self) -> str:
        return "action_topic_more"

    def respond(self, tracker: Tracker) -> conversation.Turn:
        return conversation.tell_me_more(CONTENT.get(), place_of(tracker))


class ActionShowMenu(ContentAction):
    def name(self) -> str:
        return "action_show_menu"

    def respond(self, tracker: Tracker) -> conversation.Turn:
        return conversation.show_menu(CONTENT.get(), first_entity(tracker.get_latest_entity_values("group")))


class ActionReply(ContentAction):
    def name(self) -> str:
        return "action_reply"

    def respond(self, tracker: Tracker) -> conversation.Turn:
        return conversation.reply(CONTENT.get(), latest_intent(tracker), place_of(tracker))


def intent_ranking(tracker: Tracker) -> list[dict[str, Any]]:
    ranking = tracker.latest_message.get("intent_ranking")
    return [entry for entry in ranking if isinstance(entry, dict)] if isinstance(ranking, list) else []


class ActionFallback(ContentAction):
    insight = "fallback"

    def name(self) -> str:
        return "action_fallback"

    def respond(self, tracker: Tracker) -> conversation.Turn:
        return conversation.fallback(CONTENT.get(), place_of(tracker), intent_ranking(tracker))


class ActionSafetyCheckChoices(ContentAction):
    """After a check question: the likeliest topics, or, in the middle of the self-referral, the way back to it."""

    def name(self) -> str:
        return "action_safety_check_choices"

    def respond(self, tracker: Tracker) -> conversation.Turn:
        content = CONTENT.get()
        if tracker.active_loop_name == REFERRAL_FORM:
            return conversation.Turn([referral_form.resume_offer(content)], place_of(tracker))
        return conversation.safety_check_choices(content, place_of(tracker), intent_ranking(tracker))


class ActionRecordSafety(Action):
    """After a safety reply: note its type and time (never the message) for a later hand-off."""

    def name(self) -> str:
        return "action_record_safety"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        intent = latest_intent(tracker)
        record = safety_record(intent)
        if record is None:
            return []
        offer = None
        if intent in INTERRUPTING:
            with contextlib.suppress(ContentUnavailable):
                content = CONTENT.get()
                in_referral = tracker.active_loop_name == REFERRAL_FORM
                offer = referral_form.resume_offer(content) if in_referral else conversation.resume_offer(content, place_of(tracker))
        if offer:
            dispatcher.utter_message(text=offer.text, buttons=offer.buttons)
        return [SlotSet("safety_events", with_record(tracker.get_slot("safety_events"), record))]
