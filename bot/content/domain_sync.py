"""Keep domain.yml's generated responses in step with content/messages.yml.

The emergency and safety replies must work even when the action server is down, so they live in
the Rasa domain as plain responses (`utter_<message id>`). Their wording, numbers and buttons still
come from content/: this module writes them between two marker lines in domain.yml, and the
content check fails when the two have drifted apart.
"""

from __future__ import annotations

import json
from pathlib import Path

from bot.content.buttons import expand_buttons
from bot.content.models import Content, Finding
from bot.content.render import render

BEGIN = "  # BEGIN GENERATED RESPONSES: edit content/messages.yml, then run `make sync-domain`"
END = "  # END GENERATED RESPONSES"


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar that Rasa's response templating leaves as it is.

    Rasa fills `{slot}` placeholders in response texts and button payloads; a payload such as
    `/open_topic{"topic":"recording"}` would be taken for one (and logged as an error, with slot
    values). Doubled braces are Rasa's escape: they come out single.
    """
    escaped = text.replace("{", "{{").replace("}", "}}")
    return json.dumps(escaped, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar


def generated_block(content: Content) -> str:
    lines = [BEGIN]
    for message in sorted(content.messages.values(), key=lambda m: m.id):
        if not message.domain_response:
            continue
        lines += [f"  utter_{message.id}:", f"  - text: {_quoted(render(message.text, content.services))}"]
        buttons = expand_buttons(message.buttons, content)
        if buttons:
            lines.append("    buttons:")
            for button in buttons:
                lines += [f"    - title: {_quoted(button['title'])}", f"      payload: {_quoted(button['payload'])}"]
    lines.append(END)
    return "\n".join(lines)


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
        raise ValueError(f"{domain_path} has no generated responses block (markers missing)")
    before, _, after = parts
    updated = before + generated_block(content) + after
    if updated == original:
        return False
    domain_path.write_text(updated, encoding="utf-8")
    return True


def domain_findings(content: Content, domain_path: Path) -> list[Finding]:
    parts = _split(domain_path.read_text(encoding="utf-8"))
    if parts is None:
        return [Finding("error", domain_path.name, "", "the generated responses block is missing")]
    if parts[1] != generated_block(content):
        return [
            Finding(
                "error",
                domain_path.name,
                "generated responses",
                "out of date with content/messages.yml: run `make sync-domain`, then `make train`",
            )
        ]
    return []
