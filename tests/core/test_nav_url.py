"""``{% nav_url %}`` gives what ``{% url %}`` gives, under any script prefix."""

from django.template import Context, Template
from django.urls import reverse, set_script_prefix

from core.templatetags.meldcode_nav import nav_url


def test_same_as_url_tag():
    html = Template("{% load meldcode_nav %}{% nav_url 'notifications:list' %}|"
                    "{% url 'notifications:list' %}").render(Context())
    ours, django = html.split("|")
    assert ours == django == reverse("notifications:list")


def test_script_prefix_is_part_of_the_key():
    try:
        set_script_prefix("/meldcode/")
        assert nav_url("cases:list") == reverse("cases:list")
        assert nav_url("cases:list").startswith("/meldcode/")
    finally:
        set_script_prefix("/")
    assert nav_url("cases:list") == reverse("cases:list")
    assert not nav_url("cases:list").startswith("/meldcode/")
