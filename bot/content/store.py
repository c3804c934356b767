"""Live content: reloaded when a file changes, keeping the last good version if an edit is broken."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import threading
from collections import OrderedDict
from pathlib import Path

from bot.content.check import STAFF_FILE as STAFF_PATH
from bot.content.check import label_findings, structural_findings
from bot.content.loader import STAFF_FILE, load_content, load_words
from bot.content.models import Content, Finding, Labels, ReferralNeeds
from bot.content.style import STYLE_FILE
from bot.content.words import STAFF_PAGE_WORDS
from bot.live import LastGood, Rejected

log = logging.getLogger(__name__)


def _relative_style_file(root: Path) -> str:
    return str((root / STYLE_FILE).relative_to(root.parent))


class ContentUnavailable(RuntimeError):
    """No valid content has ever loaded."""


def _fingerprint(root: Path) -> tuple[tuple[str, int, int], ...]:
    """Names, sizes and modification times of every content file, taken on each message: the files
    `root.rglob("*.yml")` gives (symlinked folders not followed), found with os.scandir, which was four
    times faster than pathlib's walk."""
    entries = []
    folders = [str(root)]
    while folders:
        try:
            listing = list(os.scandir(folders.pop()))
        except OSError:  # gone, not a folder, or not readable: as rglob, nothing from there
            continue
        for entry in listing:
            try:
                if entry.name.endswith(".yml"):
                    stat = entry.stat()
                    entries.append((entry.path, stat.st_mtime_ns, stat.st_size))
                if entry.is_dir() and not entry.is_symlink():
                    folders.append(entry.path)
            except FileNotFoundError:
                continue
    return tuple(sorted(entries))


# The last few loads, shared by every store on the same folder with the same needs: the web service keeps
# two stores on one folder, and each test's app as many again. A load is only reused while the folder's
# fingerprint is the one it was made from.
_SHARED_LOADS: OrderedDict[tuple[str, int], tuple[ReferralNeeds | None, tuple[tuple[str, int, int], ...], Content]] = OrderedDict()
# The last few loads by what the files say (a folder's name, each file's name and bytes): a copy of a folder
# loaded before (each test's copy of the shipped content) loads at once, with its own root.
_SAME_FILES: OrderedDict[tuple[str, int, bytes], tuple[ReferralNeeds | None, Content]] = OrderedDict()
_SHARED_LIMIT = 8
_SHARED_LOCK = threading.Lock()


def _files_digest(root: Path, fingerprint: tuple[tuple[str, int, int], ...]) -> bytes | None:
    """A digest of every content file's name (from `root`) and bytes; None if one cannot be read now."""
    digest = hashlib.blake2b(digest_size=32)
    for path, _, _ in fingerprint:
        try:
            data = Path(path).read_bytes()
        except OSError:
            return None
        name = os.path.relpath(path, root).encode("utf-8", "surrogateescape")
        digest.update(len(name).to_bytes(8, "big") + name + len(data).to_bytes(8, "big") + data)
    return digest.digest()


def _remember(table: OrderedDict, key: object, value: object) -> None:
    with _SHARED_LOCK:
        table[key] = value
        table.move_to_end(key)
        while len(table) > _SHARED_LIMIT:
            table.popitem(last=False)


class ContentStore:
    """Gives the current content, reloading it when any file in the folder has changed (bot.live)."""

    def __init__(self, root: Path, needs: ReferralNeeds | None = None) -> None:
        self.root = root
        self.needs = needs  # what the self-referral needs worded: an edit that drops it is refused
        self._live: LastGood[Content] = LastGood(lambda: _fingerprint(self.root), self._load, name="content")

    @property
    def last_problems(self) -> list[Finding]:
        return [problem for problem in self._live.last_problems if isinstance(problem, Finding)]

    def get(self) -> Content:
        try:
            return self._live.get()
        except Rejected as exc:
            raise ContentUnavailable(f"no valid content in {self.root}: {exc.problems[:3]}") from None

    def staff_words(self) -> Labels:
        """content/staff.yml's sections for the staff pages and the staff command line (headings, statuses,
        one-off notes, refusals).

        From the live content; where no valid content has loaded at all (a topic broken before the service
        started, say), from staff.yml read on its own, so that editors can still sign in and read on the
        check page what is wrong. ContentUnavailable when staff.yml itself lacks them.
        """
        try:
            return self.get().staff
        except ContentUnavailable:
            pass
        if not (self.root / STAFF_FILE).is_file():
            raise ContentUnavailable("content/staff.yml is missing")
        labels, findings = load_words(self.root / STAFF_FILE, self.root)
        statuses = {name: self.needs.staff[name] for name in ("statuses", "priorities") if self.needs and name in self.needs.staff}
        problems = [f for f in findings + label_findings(STAFF_PATH, "", labels, {**STAFF_PAGE_WORDS, **statuses}) if f.is_error]
        if problems:
            raise ContentUnavailable(f"content/staff.yml cannot word the staff pages: {problems[:3]}")
        return labels

    def _load(self) -> Content:
        key, fingerprint = (str(self.root), id(self.needs)), _fingerprint(self.root)
        with _SHARED_LOCK:
            shared = _SHARED_LOADS.get(key)
        if shared is not None and shared[0] is self.needs and shared[1] == fingerprint:
            return shared[2]
        digest = _files_digest(self.root, fingerprint)
        same_key = (self.root.name, id(self.needs), digest) if digest is not None else None
        with _SHARED_LOCK:
            same = _SAME_FILES.get(same_key) if same_key is not None else None
        if same is not None and same[0] is self.needs:
            content = dataclasses.replace(same[1], root=self.root)
        else:
            content = self._load_and_check()
            if same_key is not None and _fingerprint(self.root) == fingerprint:  # not edited while it loaded
                _remember(_SAME_FILES, same_key, (self.needs, content))
        _remember(_SHARED_LOADS, key, (self.needs, fingerprint, content))
        return content

    def _load_and_check(self) -> Content:
        content, findings = load_content(self.root)
        # The phrases-to-avoid list only feeds the content check: a mistake in it never holds back content.
        style_file = _relative_style_file(self.root)
        problems = [f for f in findings + structural_findings(content, self.needs) if f.is_error and f.file != style_file]
        if problems:
            raise Rejected(list(problems))  # parents keep the last good wording; editors see why in the log
        log.info("content loaded: %d topics, %d services", len(content.topics), len(content.services))
        return content
