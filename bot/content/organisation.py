"""The organisation and its team, read from content/organisation.yml.

Both come out as `Service` entries (ids `organisation` and `parent_support_team`), so content refers
to them with the same placeholders as any service: `{{organisation.name}}`,
`{{parent_support_team.name}}`, `{{parent_support_team.contact}}`. Values that are not known yet are
left empty in the file: an empty value is simply absent, and `contact` then gives the file's
`no_route` sentence instead of a bare name.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from bot.content.models import Finding, Service
from bot.content.reading import Collector, has_hidden_characters, read_yaml

ORGANISATION_ID = "organisation"
TEAM_ID = "parent_support_team"
SECTIONS = {ORGANISATION_ID: "organisation", TEAM_ID: "team"}  # service id -> section in the file

TEXT_FIELDS = ("name", "about", "phone", "email", "website", "hours")
TEAM_ONLY_FIELDS = ("out_of_hours_phone", "out_of_hours_hours", "out_of_hours_area", "no_route")
MAX_NAME_CHARS = 80
MAX_VALUE_CHARS = 400


class _Reader(Collector):
    def text(self, data: dict[str, Any], key: str, where: str) -> str:
        """A text value, or "" where it is empty or left out (an unknown detail stays empty)."""
        value = data.get(key)
        if value is None:
            return ""
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            self.error(where, f'"{key}" should be text')
            return ""
        value = str(value).strip()
        if has_hidden_characters(value):
            self.error(where, f'"{key}" contains invisible control characters; retype it')
            return ""
        if "{{" in value or "}}" in value:
            self.error(where, f'"{key}" cannot use {{{{...}}}} references; write the words out')
            return ""
        limit = MAX_NAME_CHARS if key == "name" else MAX_VALUE_CHARS
        if len(value) > limit:
            self.error(where, f'"{key}" is {len(value)} characters long; keep it under {limit}')
            return ""
        return value


def _section(reader: _Reader, data: dict[str, Any], service_id: str) -> Service | None:
    section = SECTIONS[service_id]
    raw = data.get(section)
    if not isinstance(raw, dict):
        reader.error(section, f'missing "{section}:" section')
        return None
    fields = TEXT_FIELDS + (TEAM_ONLY_FIELDS if service_id == TEAM_ID else ())
    for key in raw:
        if key not in fields + ("source", "verified", "needs_confirming", "tags"):
            reader.error(section, f'unknown field "{key}"')
    values = {key: reader.text(raw, key, section) for key in fields}
    if not values["name"]:
        reader.error(section, 'missing field "name"')
        return None
    sources = raw.get("source") or []
    if isinstance(sources, str):
        sources = [sources]
    if not isinstance(sources, list) or not sources:
        reader.error(section, 'missing field "source" (the page the details came from)')
        sources = []
    verified = raw.get("verified")
    if verified is not None and not isinstance(verified, date):
        reader.error(section, '"verified" should be a date written as YYYY-MM-DD, or left out until someone checks')
        verified = None
    tags = raw.get("tags") or []
    if not isinstance(tags, list):
        reader.error(section, '"tags" should be a list')
        tags = []
    details = {key: value for key, value in values.items() if value and key != "name"}
    return Service(
        id=service_id,
        name=values["name"],
        details=details,
        tags=tuple(str(tag) for tag in tags),
        sources=tuple(str(s) for s in sources),
        verified=verified,
        needs_confirming=str(raw["needs_confirming"]).strip() if raw.get("needs_confirming") else None,
        file=reader.file,
    )


def load_organisation(path: Path, file: str) -> tuple[dict[str, Service], list[Finding]]:
    """The organisation and its team as services; problems come back as located findings."""
    reader = _Reader(file)
    data = read_yaml(path, reader)
    if data is None and reader.findings:
        return {}, reader.findings
    if not isinstance(data, dict):
        reader.error("", 'the file needs an "organisation:" and a "team:" section')
        return {}, reader.findings
    services = {}
    for service_id in SECTIONS:
        service = _section(reader, data, service_id)
        if service is not None:
            services[service_id] = service
    return services, reader.findings
