"""Who is asking, as far as the web service can tell: the client's address and whether it came over TLS.

Behind a TLS proxy every request comes from the proxy's address. With TRUSTED_PROXY_HOPS = N (the
number of proxies in front), the client is the address the outermost of them saw, read from the right
of X-Forwarded-For (entries further left are whatever the client sent), and X-Forwarded-Proto is
believed. With 0 (nothing in front, the default) neither header is believed: anyone could write them.
"""

from __future__ import annotations

import ipaddress
import logging

from aiohttp import web

log = logging.getLogger(__name__)

UNKNOWN_ADDRESS = "unknown"
_warned_forwarded = False


def client_address(request: web.Request, trusted_hops: int) -> str:
    """The client's IP address as text (see the module docstring), or "unknown"."""
    global _warned_forwarded
    forwarded = [part.strip() for value in request.headers.getall("X-Forwarded-For", []) for part in value.split(",")]
    if trusted_hops and len(forwarded) >= trusted_hops:
        address = _ip(forwarded[-trusted_hops])
        if address:
            return address
    elif forwarded and not trusted_hops and not _warned_forwarded:
        _warned_forwarded = True
        log.warning(
            "requests carry X-Forwarded-For but TRUSTED_PROXY_HOPS is 0, so limits "
            "go by the proxy's address; set it to the number of proxies in front (see .env.example)"
        )
    return _ip(request.remote or "") or UNKNOWN_ADDRESS


def _ip(text: str) -> str | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return str(address)


def address_group(address: str) -> str:
    """What the throttle counts by: the IPv4 address, or the IPv6 /64 (one host can use a whole /64)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


def came_over_tls(request: web.Request, trusted_hops: int) -> bool:
    if request.secure:
        return True
    forwarded = [part.strip().lower() for value in request.headers.getall("X-Forwarded-Proto", []) for part in value.split(",")]
    return bool(trusted_hops and forwarded) and forwarded[-1] == "https"
