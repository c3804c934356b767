"""Fill `{{service.field}}`, `{{service.contact}}` and `{{list:tag}}` references from the services directory."""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.content.models import Service

REFERENCE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")


class BrokenReference(ValueError):
    """A reference names a service, detail or tag that does not exist."""


def _ways(service: Service) -> list[str]:
    """How to reach a service in person: by phone or text, or by email where it has neither."""
    details = service.details
    ways = []
    if "phone" in details:
        ways.append(f"call {details['phone']}")
    if "text" in details:
        ways.append(f"text {details['text']}")
    if not ways and "email" in details:
        ways.append(f"email {details['email']}")
    return ways


def _reach(service: Service) -> str:
    """The ways, with the opening hours after a phone or text line so nobody rings a closed line."""
    details = service.details
    ways = _ways(service)
    hours = details.get("hours")
    if hours and ("phone" in details or "text" in details):
        return f"{' or '.join(ways)} ({hours})"
    return " or ".join(ways)


def _out_of_hours(service: Service) -> str:
    details = service.details
    phone = details.get("out_of_hours_phone")
    if not phone:
        return ""
    area = f" in {details['out_of_hours_area']}" if details.get("out_of_hours_area") else ""
    hours = f" ({details['out_of_hours_hours']})" if details.get("out_of_hours_hours") else ""
    return f"Out of hours{area}, call {phone}{hours}."


def _lower_first(text: str) -> str:
    return text[0].lower() + text[1:] if len(text) > 1 and text[1].islower() else text


def contact_line(service: Service) -> str:
    """One short line saying how to reach a service, with its hours, for lists."""
    details = service.details
    if _ways(service):
        how = _reach(service)
    elif "website" in details:
        how = details["website"]
    elif "no_route" in details:
        how = _lower_first(details["no_route"])
    else:
        return f"- {service.name}"  # the content check warns about a service nobody can reach
    extra = _out_of_hours(service)
    return f"- {service.name}: {how}" + (f" {extra}" if extra else "")


def contact_sentence(service: Service) -> str:
    """`{{id.contact}}`: a sentence on how to reach the service, or its `no_route` sentence where none is set."""
    details = service.details
    if _ways(service):
        reach = _reach(service)
        sentence = f"{reach[0].upper()}{reach[1:]}."
    elif "website" in details:
        sentence = f"Visit {details['website']}."
    elif "no_route" in details:
        sentence = details["no_route"]
    else:
        raise BrokenReference(f'the service "{service.id}" has no phone, text, email or website to give')
    extra = _out_of_hours(service)
    return f"{sentence} {extra}" if extra else sentence


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
    if detail == "contact":
        return contact_sentence(service)
    if detail not in service.details:
        where = service.file.rpartition("/")[2]
        raise BrokenReference(f'the service "{service_id}" has no "{detail}" in {where}')
    return service.details[detail]


def render(text: str, services: Mapping[str, Service]) -> str:
    """Replace every reference in `text`; raises BrokenReference on the first broken one."""
    return REFERENCE.sub(lambda match: resolve(match.group(1), services), text)


def references_in(text: str) -> list[str]:
    return [match.group(1) for match in REFERENCE.finditer(text)]


def without_references(text: str) -> str:
    return REFERENCE.sub(" ", text)
