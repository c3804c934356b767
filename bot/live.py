"""A value loaded from files and loaded again when they change, keeping the last good one if a new load fails.

The live content (bot.content.store) and the safety lexicon (bot.safety.lexicon_store) both work this
way: an editor's change is live on the next message, and a broken edit never reaches parents.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


class Rejected(ValueError):
    """A load found problems that must keep it from going live; `problems` says which."""

    def __init__(self, problems: list[object]) -> None:
        super().__init__("; ".join(str(p) for p in problems[:3]))
        self.problems = problems


class LastGood(Generic[T]):
    """`get()` gives the value `load()` made, calling it again whenever `fingerprint()` changes.

    A load that raises one of `failures` keeps the last good value (and says why in the log and in
    `last_problems`); where no load has ever worked, `get()` raises that failure.
    """

    def __init__(
        self,
        fingerprint: Callable[[], Hashable],
        load: Callable[[], T],
        *,
        name: str,
        failures: tuple[type[Exception], ...] = (Rejected,),
    ) -> None:
        self._fingerprint = fingerprint
        self._load = load
        self.name = name
        self._failures = failures
        self._lock = threading.Lock()
        self._stamp: Hashable | None = None
        self._value: T | None = None
        self._failure: Exception | None = None
        self.last_problems: list[object] = []

    def get(self) -> T:
        stamp = self._fingerprint()
        with self._lock:
            if stamp != self._stamp:
                self._stamp = stamp
                self._reload()
            if self._value is None:
                assert self._failure is not None
                raise self._failure
            return self._value

    def _reload(self) -> None:
        try:
            value = self._load()
        except self._failures as exc:
            self._failure = exc
            self.last_problems = list(exc.problems) if isinstance(exc, Rejected) else [exc]
            if self._value is not None:
                for problem in self.last_problems:
                    log.warning("%s not reloaded, keeping the last good version: %s", self.name, problem)
            return
        self._value, self._failure, self.last_problems = value, None, []
