"""The safety lexicon, reloaded when its file changes; a broken edit keeps the last good version (bot.live)."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.live import LastGood
from bot.safety.detector import Lexicon, LexiconError, load_lexicon


class LexiconStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._live: LastGood[Lexicon] = LastGood(
            self._stamp,
            lambda: load_lexicon(self.path),
            name="safety lexicon",
            failures=(LexiconError, yaml.YAMLError, AttributeError, TypeError, ValueError),
        )

    def _stamp(self) -> tuple[int, int]:
        stat = self.path.stat()
        return stat.st_mtime_ns, stat.st_size

    def get(self) -> Lexicon:
        return self._live.get()
