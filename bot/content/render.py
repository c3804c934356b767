"""Fill `{{service.field}}` and `{{list:tag}}` references from the services directory."""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.content.models import Service

REFERENCE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")


class BrokenReference(ValueError):
    """A reference names a service, detail or tag that does not exist."""


def contact_line(service: Service) -> str:
    """One short line saying how to reach a service, for lists."""
    ways = []
    if "phone" in service.details:
        ways.append(f"call {service.details['phone']}")
    if "text" in service.details:
        ways.append(f"text {service.details['text']}")
    if not ways and "website" in service.details:
        ways.append(service.details["website"])
    return f"- {service.name}: {' or '.join(ways)}" if ways else f"- {service.name}"


def resolve(reference: str, services: Mapping[str, Service]) -> str:
    """The text a single reference stands for; raises BrokenReference when it points nowhere."""
    if reference.startswith("list:"):
        tag = reference[len("list:") :].strip()
        tagged = [service for service in services.values() if tag in service.tags]
        if not tagged:
            raise BrokenReference(f'no service has the tag "{tag}"')
        return "\n".join(contact_line(service) for service in tagged)
    service_id, _, detail = reference.partition(".")
    service = services.get(service_id)
    if service is None:
        raise BrokenReference(f'there is no service with the id "{service_id}" in services.yml')
    if detail in ("", "name"):
        return service.name
    if detail not in service.details:
        raise BrokenReference(f'the service "{service_id}" has no "{detail}" in services.yml')
    return service.details[detail]


def render(text: str, services: Mapping[str, Service]) -> str:
    """Replace every reference in `text`; raises BrokenReference on the first broken one."""
    return REFERENCE.sub(lambda match: resolve(match.group(1), services), text)


def references_in(text: str) -> list[str]:
    return [match.group(1) for match in REFERENCE.finditer(text)]


def without_references(text: str) -> str:
    return REFERENCE.sub(" ", text)
