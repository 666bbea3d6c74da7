"""``{% nav_url 'app:name' %}``: ``{% url %}`` for the argument-free links of the navigation,
reversed once per process instead of on every page.

The result depends only on the name, the urlconf and the script prefix, all part of the key.
"""

from django import template
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
