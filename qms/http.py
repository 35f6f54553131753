"""Facts about an HTTP request that more than one app needs."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT reverse proxies the
    Nth X-Forwarded-For entry from the right (each proxy appends the address it saw).

    Entries further left are whatever the client sent and are never trusted. The same rule
    as the public survey's rate limit uses (`surveys.services.submit_response`); login throttling
    (django-axes, AXES_CLIENT_IP_CALLABLE) counts failures per this address, in a database
    column of IP addresses: an entry that is not one (a proxy writing "unknown", or more
    proxies configured than there are, so the client's own text is read) counts as
    REMOTE_ADDR instead.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if not (proxies and hops):
        return remote
    hop = hops[-min(proxies, len(hops))]
    try:
        return str(ipaddress.ip_address(hop))
    except ValueError:
        return remote
