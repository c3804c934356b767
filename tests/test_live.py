"""One mechanism for live files (bot/live.py): reload on change, keep the last good value on a bad load."""

from __future__ import annotations

import pytest

from bot.live import LastGood, Rejected


class Source:
    def __init__(self) -> None:
        self.version, self.text, self.loads = 1, "good", 0

    def load(self) -> str:
        self.loads += 1
        if self.text.startswith("bad"):
            raise Rejected([f"problem in {self.text}"])
        return self.text


def test_reloads_only_when_the_fingerprint_changes_and_keeps_the_last_good_value() -> None:
    source = Source()
    live = LastGood(lambda: source.version, source.load, name="test")
    assert live.get() == "good" and live.get() == "good" and source.loads == 1
    source.version, source.text = 2, "bad edit"
    assert live.get() == "good" and live.last_problems == ["problem in bad edit"]
    source.version, source.text = 3, "better"
    assert live.get() == "better" and live.last_problems == []


def test_with_nothing_good_ever_loaded_the_failure_is_raised_every_time() -> None:
    source = Source()
    source.text = "bad from the start"
    live = LastGood(lambda: source.version, source.load, name="test")
    for _ in range(2):
        with pytest.raises(Rejected, match="bad from the start"):
            live.get()
    assert source.loads == 1


def test_an_unexpected_error_is_not_swallowed() -> None:
    def broken() -> str:
        raise KeyError("not a load problem")

    with pytest.raises(KeyError):
        LastGood(lambda: 1, broken, name="test").get()
