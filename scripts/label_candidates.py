"""List training examples whose label may be the other side of a close topic pair (issue 12).

Only lists candidates by keyword; a person reads each one against the two topic files in
content/topics/ and relabels only those that plainly belong to the other topic.
Run: .venv/bin/python scripts/label_candidates.py
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

NLU = Path(__file__).resolve().parent.parent / "data" / "nlu"

# intent -> (the other side of its pair, words that hint at that other side)
PAIRS: dict[str, tuple[str, str]] = {
    "court": (
        "court_outcome",
        r"no further action|\bnfa\b|dropped|guilty|verdict|sentenc|appeal|acquit|released|review|chisva|isva"
        r"|therapy|counsell|convicted|prison|jail|decided not|not (be )?charg",
    ),
    "criminal_exploitation": (
        "child_arrested",
        r"arrest|charged|caution|bail|custody|station|interview|solicitor|appropriate adult|court|record"
        r"|section 45|nicked|cell|picked up by police",
    ),
    "evidence_logging": ("fear_of_reporting", r"anonym|name|crimestoppers|fearless|grass|snitch|revenge|scared|afraid|fear|trouble"),
    "fear_of_reporting": ("evidence_logging", r"anonym|crimestoppers|fearless|log|write down|note|screenshot|diary|plate|reference"),
}


def candidates() -> list[tuple[str, str, str, str]]:
    """(file, intent, other intent, example) for every example with a hint of the other side."""
    found = []
    for path in sorted(NLU.glob("*.yml")):
        for item in yaml.safe_load(path.read_text()).get("nlu", []):
            if item.get("intent") not in PAIRS:
                continue
            other, pattern = PAIRS[item["intent"]]
            for line in item["examples"].splitlines():
                text = line.strip()[2:]
                if re.search(pattern, text, re.IGNORECASE):
                    found.append((path.name, item["intent"], other, text))
    return found


if __name__ == "__main__":
    for name, intent, other, text in candidates():
        print(f"{name}\t{intent} -> {other}?\t{text}")
