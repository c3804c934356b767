"""The Rasa server's responses, read live from `content/messages.yml` (endpoints.yml names this class as `nlg`).

Safety replies, help now and the check questions are domain responses, so that they need no action
server. The domain holds a copy generated from the content (`domain/generated/responses.yml`), which
the model is trained with; this generator answers from the content as it is now instead, so a change an
admin makes to a safety reply reaches parents from the next message, not only after a retrain. It runs
inside the Rasa server (no network call), and where the content cannot be read it answers from the
domain's copy: a reply is never lost because a file is being edited.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain

from bot.content.domain_responses import domain_responses
from bot.content.models import Content
from bot.content.store import ContentStore

log = logging.getLogger(__name__)


class LiveContentResponses(TemplatedNaturalLanguageGenerator):
    def __init__(self, endpoint_config: Any = None, domain: Domain | None = None, store: ContentStore | None = None) -> None:
        super().__init__((domain or Domain.empty()).responses)
        if store is None:
            from bot.config import get_settings

            store = ContentStore(get_settings().content_dir)
        self.store = store
        self._built_for: Content | None = None
        self._merged: dict[str, list[dict[str, Any]]] | None = None
        self._domain_copy: dict[str, list[dict[str, Any]]] = self.responses

    def refresh(self) -> None:
        """Use the content as it is now over the domain's copy (Rasa sets `responses` afresh when a model loads)."""
        if self.responses is not self._merged:
            self._domain_copy, self._built_for = self.responses, None
        try:
            content = self.store.get()
        except Exception as exc:  # the domain's copy answers until the content is readable again
            log.warning("responses from the domain's copy: content unavailable (%s)", type(exc).__name__)
            self.responses = self._merged = self._domain_copy
            return
        if content is not self._built_for:
            self._merged = {**self._domain_copy, **domain_responses(content)}
            self._built_for = content
        self.responses = self._merged

    async def generate(self, utter_action: str, tracker: Any, output_channel: str, **kwargs: Any) -> dict[str, Any] | None:
        self.refresh()
        return await super().generate(utter_action, tracker, output_channel, **kwargs)
