"""Peak memory: the resident set size (RSS) of each service's process tree, sampled every half second."""

from __future__ import annotations

import contextlib
import threading
import time

import psutil

Sample = tuple[float, dict[str, int]]  # (monotonic time, bytes per watched name)


def tree_rss(process: psutil.Process) -> int:
    """RSS of a process and all its descendants, in bytes (processes that have just gone count as 0)."""
    total = 0
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.Error:
        return 0
    for member in members:
        with contextlib.suppress(psutil.Error):
            total += member.memory_info().rss
    return total


def peaks(samples: list[Sample], since: float = 0.0, until: float = float("inf")) -> dict[str, int]:
    """Highest RSS seen per name between `since` and `until`."""
    highest: dict[str, int] = {}
    for moment, sizes in samples:
        if since <= moment <= until:
            for name, size in sizes.items():
                highest[name] = max(highest.get(name, 0), size)
    return highest


def peak_total(samples: list[Sample], names: list[str], since: float = 0.0, until: float = float("inf")) -> int:
    """Highest sum of the named trees at one moment (what the machine had to hold at once)."""
    totals = [sum(sizes.get(n, 0) for n in names) for moment, sizes in samples if since <= moment <= until]
    return max(totals, default=0)


class MemorySampler:
    """Samples every watched process tree in a background thread until stopped."""

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self.samples: list[Sample] = []
        self._watched: dict[str, psutil.Process] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="memory-sampler", daemon=True)

    def watch(self, name: str, pid: int) -> None:
        with self._lock:
            self._watched[name] = psutil.Process(pid)

    def sample_now(self) -> None:
        with self._lock:
            watched = dict(self._watched)
        if watched:
            sizes = {name: tree_rss(process) for name, process in watched.items()}
            with self._lock:
                self.samples.append((time.monotonic(), sizes))

    def _loop(self) -> None:
        while not self._stopping.wait(self.interval):
            self.sample_now()

    def start(self) -> MemorySampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()

    def snapshot(self) -> list[Sample]:
        with self._lock:
            return list(self.samples)
