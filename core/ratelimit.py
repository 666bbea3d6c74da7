"""Rate limits on login, password reset, step-up codes and exports.

Fixed-window counters in Django's cache (Redis in production through ``REDIS_CACHE_URL``, so
every web process counts together; a per-process memory cache otherwise). A limit is
``settings.MELDCODE_RATELIMITS[scope] = (requests, seconds)``. Cache keys hold a hash of the
IP address, username or e-mail address, never the value itself.

Login and password reset are limited by ``RateLimitMiddleware`` (the views are third-party or
Django's own); exports and the step-up page call ``exceeded`` themselves, after their
permission check, so a refused request does not count and a 403/404 stays a 403/404.
"""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render

logger = logging.getLogger("meldcode.security")


def client_ip(request) -> str:
    """The client's address. Behind the TLS proxy REMOTE_ADDR is the proxy; the proxy is
    trusted to set X-Forwarded-For, of which the last entry is the address it saw."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and getattr(settings, "MELDCODE_TRUST_X_FORWARDED_FOR", False):
        return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _key(scope: str, value: str) -> str:
    digest = hashlib.sha256(f"{scope}:{value}".lower().encode()).hexdigest()[:32]
    return f"rl:{scope}:{digest}"


def exceeded(scope: str, value: str) -> bool:
    """Count one request for ``value`` in ``scope``; True when it is over the limit."""
    limit, period = settings.MELDCODE_RATELIMITS[scope]
    key = _key(scope, value)
    cache.add(key, 0, timeout=period)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=period)
        count = 1
    if count > limit:
        logger.warning("rate limit %s exceeded", scope)  # no IP, username or address
        return True
    return False


def reset(scope: str, value: str) -> None:
    cache.delete(_key(scope, value))


def too_many_requests(request, *, what: str = ""):
    """The calm Dutch 429 page."""
    return render(request, "core/ratelimited.html", {"what": what}, status=429)


# URL name -> [(scope, how to read the value)] for the POSTs the middleware limits.
def _username(request) -> str:
    # two-factor's login wizard posts ``auth-username`` on its first step.
    return (request.POST.get("auth-username") or request.POST.get("username") or "").strip()


def _email(request) -> str:
    return (request.POST.get("email") or "").strip()


LIMITED_VIEWS = {
    "two_factor:login": [("login-ip", client_ip), ("login-user", _username)],
    "password_reset": [("password-reset-ip", client_ip), ("password-reset-email", _email)],
}


class RateLimitMiddleware:
    """429 for POSTs to the login and password-reset views over their limits."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST" or request.resolver_match is None:
            return None
        rules = LIMITED_VIEWS.get(request.resolver_match.view_name)
        if not rules:
            return None
        over = False
        for scope, read in rules:
            value = read(request)
            if value and exceeded(scope, value):
                over = True  # count every scope, so one key cannot hide behind another
        if over:
            return too_many_requests(request)
        return None
