"""Who is asking, as far as the web service can tell: the client's address and whether it came over TLS.

Behind a TLS proxy every request comes from the proxy's address. Only where `TRUST_PROXY_HEADERS`
is on (the deployment puts a proxy in front that sets these headers) are X-Forwarded-For and
X-Forwarded-Proto believed; otherwise anyone could claim any address.
"""

from __future__ import annotations

from aiohttp import web


def client_address(request: web.Request, *, trust_proxy: bool) -> str:
    if trust_proxy:
        forwarded = request.headers.get("X-Forwarded-For", "")
        # The last hop is the one our own proxy added; anything before it the client could have written.
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last[:64]
    return request.remote or "unknown"


def came_over_tls(request: web.Request, *, trust_proxy: bool) -> bool:
    if request.secure:
        return True
    return trust_proxy and request.headers.get("X-Forwarded-Proto", "").lower() == "https"
