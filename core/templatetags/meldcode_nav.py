"""The navigation: ``{% nav_url 'app:name' %}`` (``{% url %}`` for its argument-free links,
reversed once per process instead of on every page; the result depends only on the name, the
urlconf and the script prefix, all part of the key) and ``{% site_header %}``.
"""

from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf, reverse

register = template.Library()

_reversed: dict[tuple, str] = {}


@register.simple_tag
def nav_url(name: str) -> str:
    key = (name, get_urlconf(), get_script_prefix())
    url = _reversed.get(key)
    if url is None:
        url = _reversed[key] = reverse(name)
    return url


@register.simple_tag(takes_context=True)
def site_header(context):
    """``includes/site_header.html``: the brand, the navigation and the logout form.

    For a signed-in user it is the same on every request to the same view until their roles
    (with what those roles may do), name or unread count change, so it comes from the
    fragment cache (``core.fragments``) keyed on exactly those, the view, the page's own
    script prefix and the demo flag; the CSRF token is filled in per response.
    """
    from core import fragments

    request, user = context.get("request"), context.get("user")
    flat = context.flatten()
    if request is None or user is None or not user.is_authenticated:
        return render_to_string("includes/site_header.html", flat, request=None)
    match = getattr(request, "resolver_match", None)
    unread = context.get("notifications_unread", 0)
    unread = unread() if callable(unread) else unread

    def scope():
        return (fragments.viewer(user), getattr(match, "view_name", ""),
                getattr(match, "app_name", ""), unread, get_script_prefix(),
                getattr(settings, "DEMO_MODE", False))

    def build():
        # No request: the context processors already ran for this page (``flat``).
        return fragments.render_with_placeholders(
            "includes/site_header.html", {**flat, "notifications_unread": unread}, None)

    return fragments.fill(fragments.cached("site-header", scope, build), request)
