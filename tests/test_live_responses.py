"""Safety replies come from the content as it is now: an admin's edit reaches parents without a retrain."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
import yaml
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from bot.config import DOMAIN_DIR, PROJECT_ROOT
from bot.content.live_responses import LiveContentResponses
from bot.content.store import ContentStore

ORIGINAL = "Please report your child missing to the police now."
EDITED = "Report your child missing to the police straight away, please."


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    return Path(shutil.copytree(PROJECT_ROOT / "content", tmp_path / "content"))


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(DOMAIN_DIR))


def edit(content_dir: Path, old: str, new: str) -> None:
    messages = content_dir / "messages.yml"
    text = messages.read_text(encoding="utf-8")
    assert old in text
    time.sleep(0.01)  # a new modification time, as a real edit would have
    messages.write_text(text.replace(old, new), encoding="utf-8")


async def say(nlg: LiveContentResponses, response: str) -> str:
    tracker = DialogueStateTracker("live-responses-test", slots=[])
    generated = await nlg.generate(response, tracker, "rest")
    assert generated is not None
    return generated["text"]


async def test_an_edited_safety_reply_is_said_from_the_next_message(content_dir: Path, domain: Domain) -> None:
    nlg = LiveContentResponses(domain=domain, store=ContentStore(content_dir))
    assert (await say(nlg, "utter_safety_missing_now")).startswith(ORIGINAL)
    edit(content_dir, ORIGINAL, EDITED)
    reply = await say(nlg, "utter_safety_missing_now")
    assert reply.startswith(EDITED) and "999" in reply and "101" in reply  # services still filled in


async def test_a_broken_edit_keeps_the_last_good_wording(content_dir: Path, domain: Domain) -> None:
    nlg = LiveContentResponses(domain=domain, store=ContentStore(content_dir))
    edit(content_dir, ORIGINAL, EDITED)
    assert (await say(nlg, "utter_safety_missing_now")).startswith(EDITED)
    (content_dir / "messages.yml").write_text("messages: [not: valid", encoding="utf-8")
    assert (await say(nlg, "utter_safety_missing_now")).startswith(EDITED)


async def test_with_no_readable_content_the_models_copy_answers(tmp_path: Path, domain: Domain) -> None:
    nlg = LiveContentResponses(domain=domain, store=ContentStore(tmp_path / "nowhere"))
    reply = await say(nlg, "utter_safety_missing_now")
    assert reply.startswith(ORIGINAL) and "999" in reply


async def test_a_new_model_loaded_by_rasa_is_still_answered_from_the_content(content_dir: Path, domain: Domain) -> None:
    """Rasa puts the domain's responses back on the generator when it loads a model (Agent.load_model)."""
    nlg = LiveContentResponses(domain=domain, store=ContentStore(content_dir))
    edit(content_dir, ORIGINAL, EDITED)
    await say(nlg, "utter_safety_missing_now")
    nlg.responses = domain.responses
    assert (await say(nlg, "utter_safety_missing_now")).startswith(EDITED)
    assert await nlg.generate("utter_no_such_response", DialogueStateTracker("x", slots=[]), "rest") is None


def test_endpoints_name_the_live_generator() -> None:
    endpoints = yaml.safe_load((PROJECT_ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    assert endpoints["nlg"]["type"] == f"{LiveContentResponses.__module__}.{LiveContentResponses.__name__}"
