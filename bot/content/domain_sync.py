"""Keep domain.yml's `utter_help_now` in step with content/messages.yml.

The emergency reply must work even when the action server is down, so it lives in the Rasa
domain as a plain response. Its wording and numbers still come from content/: this module writes
the rendered text between two marker lines in domain.yml, and the content check fails when the
two have drifted apart.
"""

from __future__ import annotations

import json
from pathlib import Path

from bot.content.models import Content, Finding
from bot.content.render import render

BEGIN = "  # BEGIN GENERATED utter_help_now: edit content/messages.yml, then run `make sync-domain`"
END = "  # END GENERATED utter_help_now"


def help_now_block(content: Content) -> str:
    text = render(content.messages["help_now"].text, content.services)
    return "\n".join(
        [
            BEGIN,
            "  utter_help_now:",
            f"  - text: {json.dumps(text, ensure_ascii=False)}",
            "    buttons:",
            '    - title: "Back to topics"',
            '      payload: "/menu"',
            END,
        ]
    )


def _split(domain_text: str) -> tuple[str, str, str] | None:
    start = domain_text.find(BEGIN)
    end = domain_text.find(END)
    if start < 0 or end < start:
        return None
    return domain_text[:start], domain_text[start : end + len(END)], domain_text[end + len(END) :]


def sync_domain(content: Content, domain_path: Path) -> bool:
    """Rewrite the generated block; returns True where the file changed."""
    original = domain_path.read_text(encoding="utf-8")
    parts = _split(original)
    if parts is None:
        raise ValueError(f"{domain_path} has no generated utter_help_now block (markers missing)")
    before, _, after = parts
    updated = before + help_now_block(content) + after
    if updated == original:
        return False
    domain_path.write_text(updated, encoding="utf-8")
    return True


def domain_findings(content: Content, domain_path: Path) -> list[Finding]:
    if "help_now" not in content.messages:
        return []
    parts = _split(domain_path.read_text(encoding="utf-8"))
    if parts is None:
        return [Finding("error", domain_path.name, "", "the generated utter_help_now block is missing")]
    if parts[1] != help_now_block(content):
        return [
            Finding(
                "error",
                domain_path.name,
                "utter_help_now",
                'out of date with content/messages.yml "help_now": run `make sync-domain`, then `make train`',
            )
        ]
    return []
