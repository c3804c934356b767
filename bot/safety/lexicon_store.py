"""The safety lexicon, reloaded when its file changes; a broken edit keeps the last good version."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import yaml

from bot.safety.detector import Lexicon, LexiconError, load_lexicon

log = logging.getLogger(__name__)


class LexiconStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._lexicon: Lexicon | None = None

    def get(self) -> Lexicon:
        stat = self.path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if stamp != self._stamp:
                self._stamp = stamp
                try:
                    self._lexicon = load_lexicon(self.path)
                except (LexiconError, yaml.YAMLError, AttributeError, TypeError, ValueError) as exc:
                    if self._lexicon is None:
                        raise
                    log.error("safety lexicon not reloaded, keeping the last good version: %s", exc)
            assert self._lexicon is not None
            return self._lexicon
