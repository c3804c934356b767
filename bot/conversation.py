"""What the assistant says at each turn of a guided topic, built from the live content.

Pure functions of (content, state): the Rasa actions only read the tracker, call these and send
the result, so the conversation logic is tested without a Rasa server.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.content.buttons import (  # noqa: F401 (the conversation's own vocabulary, re-exported for the actions)
    HELP_NOW,
    MENU,
    MORE,
    NEXT,
    TALK,
    BotMessage,
    carry_on_button,
    expand_buttons,
    open_group_payload,
    open_topic_payload,
    standard_buttons,
    topic_button,
    topic_buttons,
)
from bot.content.models import Content, Topic
from bot.content.render import render
from bot.safety.intents import confidence


@dataclass(frozen=True)
class Place:
    """Where the parent is in the guided content."""

    topic_id: str | None = None
    step_id: str | None = None


@dataclass(frozen=True)
class Turn:
    messages: list[BotMessage]
    place: Place
    opened_topic: str | None = None  # set when a topic was started, for the "topics looked at" list


def message(content: Content, message_id: str) -> BotMessage:
    """A message from messages.yml with its buttons."""
    entry = content.messages[message_id]
    return BotMessage(render(entry.text, content.services), expand_buttons(entry.buttons, content))


def menu(content: Content) -> BotMessage:
    entry = message(content, "menu")
    extra = [b for b in standard_buttons(content, "talk_to_someone", "help_now") if b not in entry.buttons]
    return BotMessage(entry.text, entry.buttons + extra)


def _step_message(content: Content, topic: Topic, index: int, *, show_more: bool) -> BotMessage:
    step = topic.steps[index]
    is_last = index == len(topic.steps) - 1
    text = step.more if show_more and step.more else step.text
    buttons = expand_buttons(step.buttons, content)
    if not is_last:
        buttons += [{"title": step.next_label or content.buttons["next"], "payload": NEXT}]
    if step.more and not show_more:
        buttons += standard_buttons(content, "more")
    buttons += standard_buttons(content, "menu", "talk_to_someone", "help_now")
    return BotMessage(render(text, content.services), buttons)


def start_topic(content: Content, goto: str) -> Turn:
    """Open a topic at its first step, or at `topic_id/step_id`."""
    topic_id, _, step_id = goto.partition("/")
    topic = content.topics.get(topic_id)
    if topic is None or not topic.steps:
        return Turn([message(content, "content_unavailable"), menu(content)], Place())
    index = topic.step_index(step_id) if step_id else 0
    index = index or 0
    return Turn(
        [_step_message(content, topic, index, show_more=False)],
        Place(topic.id, topic.steps[index].id),
        opened_topic=topic.id,
    )


def _current(content: Content, place: Place) -> tuple[Topic, int] | None:
    topic = content.topics.get(place.topic_id or "")
    if topic is None:
        return None
    index = topic.step_index(place.step_id or "")
    return (topic, index) if index is not None else None


def next_step(content: Content, place: Place) -> Turn:
    """Move on one step; at the end of a topic, say so and offer the way on."""
    current = _current(content, place)
    if current is None:
        return Turn([menu(content)], Place())
    topic, index = current
    if index + 1 >= len(topic.steps):
        end = message(content, "topic_end")
        return Turn(
            [BotMessage(end.text, end.buttons or standard_buttons(content, "menu", "talk_to_someone", "help_now"))], Place()
        )
    return Turn([_step_message(content, topic, index + 1, show_more=False)], Place(topic.id, topic.steps[index + 1].id))


def tell_me_more(content: Content, place: Place) -> Turn:
    """The step's extra detail, where it has some; otherwise carry on."""
    current = _current(content, place)
    if current is None:
        return Turn([menu(content)], Place())
    topic, index = current
    if not topic.steps[index].more:
        return next_step(content, place)
    return Turn([_step_message(content, topic, index, show_more=True)], place)


SMALL_TALK_MESSAGES = {
    "greet": "welcome",
    "goodbye": "goodbye",
    "thanks": "thanks",
    "affirm": "affirm",
    "deny": "deny",
    "bot_challenge": "bot_challenge",
    "out_of_scope": "out_of_scope",
}


def reply(content: Content, intent: str, place: Place) -> Turn:
    """Small talk. A "yes" in the middle of a topic means carry on with it."""
    if intent == "affirm" and _current(content, place) is not None:
        return next_step(content, place)
    message_id = SMALL_TALK_MESSAGES.get(intent, "fallback")
    keeps_place = intent in ("thanks", "bot_challenge", "deny")
    return Turn([message(content, message_id)], place if keeps_place else Place())


# At most this many topics are offered as choices, and only those the model gave some weight to.
CHOICE_LIMIT = 3
CHOICE_MIN_CONFIDENCE = 0.05

Ranking = Sequence[Mapping[str, object]]  # Rasa's intent_ranking: {"name": ..., "confidence": ...}, best first


def likely_topics(content: Content, ranking: Ranking, limit: int = CHOICE_LIMIT) -> list[Topic]:
    """The topics the model thought likeliest for a message, best first (safety and small talk left out)."""
    found: list[Topic] = []
    for entry in ranking:
        if not isinstance(entry, Mapping) or confidence(entry) < CHOICE_MIN_CONFIDENCE:
            continue
        topic = content.topic_for_intent(str(entry.get("name") or ""))
        if topic is not None and topic not in found:
            found.append(topic)
        if len(found) == limit:
            break
    return found


def choices(content: Content, message_id: str, ranking: Ranking) -> BotMessage:
    """A message from messages.yml, then the likeliest topics, "Something else" and "Talk to someone"."""
    entry = message(content, message_id)
    offered = [{"title": topic.title, "payload": open_topic_payload(topic.id)} for topic in likely_topics(content, ranking)]
    return BotMessage(entry.text, entry.buttons + offered + standard_buttons(content, "something_else", "talk_to_someone"))


# After a topic the model chose from the parent's own words: up to this many other topics it gave real weight
# to, so that a misunderstanding costs one tap. On the held-out split (scripts/calibrate_thresholds.py) the right
# topic was first or offered for 87.7% of ordinary messages with them and 81.7% without, and they followed
# about 1 in 5 right answers.
OTHER_TOPICS_LIMIT = 2
OTHER_TOPICS_MIN_CONFIDENCE = 0.15


def other_likely_topics(content: Content, shown: Topic, ranking: Ranking) -> list[Topic]:
    """The next likeliest topics after the one being shown, those with real weight only."""
    weighty = [entry for entry in ranking if isinstance(entry, Mapping) and confidence(entry) >= OTHER_TOPICS_MIN_CONFIDENCE]
    return [topic for topic in likely_topics(content, weighty) if topic.id != shown.id][:OTHER_TOPICS_LIMIT]


def understood_topic(content: Content, topic: Topic, ranking: Ranking) -> Turn:
    """A topic opened from what the parent wrote (not a button): its first step, then any close alternatives."""
    turn = start_topic(content, topic.id)
    others = other_likely_topics(content, topic, ranking)
    if not others or turn.opened_topic is None:
        return turn
    entry = message(content, "other_topics")
    offer = BotMessage(entry.text, entry.buttons + [topic_button(other) for other in others])
    return Turn([*turn.messages, offer], turn.place, turn.opened_topic)


def fallback(content: Content, place: Place, ranking: Ranking = ()) -> Turn:
    """Not sure what the parent meant: the two or three likeliest topics to choose from, or the plain fallback."""
    if likely_topics(content, ranking):
        return Turn([choices(content, "fallback_choices", ranking)], place)
    return Turn([message(content, "fallback")], place)


def safety_check_choices(content: Content, place: Place, ranking: Ranking) -> Turn:
    """After a check question: the way on for a parent who is not in danger."""
    return Turn([choices(content, "safety_check_choices", ranking)], place)


def show_menu(content: Content, group_id: str | None = None) -> Turn:
    """The first menu, or one group's topics; an unknown group gives the first menu."""
    group = content.menu_group(group_id) if group_id else None
    if group is None:
        return Turn([menu(content)], Place())
    text = render(group.text, content.services) if group.text else message(content, "menu").text
    buttons = [topic_button(topic) for topic in content.group_topics(group)]
    return Turn([BotMessage(text, buttons + standard_buttons(content, "menu", "talk_to_someone", "help_now"))], Place())


def resume_offer(content: Content, place: Place) -> BotMessage | None:
    """After a safety reply in the middle of a topic, a way back to exactly where the parent was."""
    current = _current(content, place)
    if current is None:
        return None
    topic, index = current
    text = render(content.messages["resume"].text, content.services)
    return BotMessage(text, [carry_on_button(content, topic, topic.steps[index].id)])


def insight_events(action: str, before: Place, turn: Turn) -> list[tuple[str, str, str]]:
    """(event, topic, step) to count for the insight page after an action: what happened, never what was said.

    `before` is where the parent was when the action started; `turn` what the action answered.
    """
    after = turn.place
    events: list[tuple[str, str, str]] = []
    if turn.opened_topic:
        events.append(("opened", turn.opened_topic, ""))
    moved = bool(after.topic_id) and (after != before or turn.opened_topic is not None)
    if action == "more" and before.topic_id and after == before and not turn.opened_topic:
        events.append(("more", before.topic_id, before.step_id or ""))
    elif action in ("start", "next", "more") and moved:
        events.append(("step_view", after.topic_id or "", after.step_id or ""))
    if action == "fallback" and before.topic_id:
        events.append(("not_understood", before.topic_id, before.step_id or ""))
    return events
