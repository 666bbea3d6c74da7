"""The pupil <select> of the record form: its options are rendered once per request (and
cached per school directory, teacher's classes, date and language), with the same HTML as
Django's own ``Select`` over ``pupil_choices``.

Transactional tests: content tokens change when a transaction commits, as in production, so
the fragment cache is really used (and must show every change at once).
"""

from __future__ import annotations

import datetime
import re

import pytest
from django import forms
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core import fragments
from schools.roles import Role
from signals.forms import PupilLookup, SignalPupilForm, pupil_choices, pupil_formset
from signals.models import PupilRole
from tests.factories import PupilFactory, SchoolClassFactory, staff

from .helpers import form_data

pytestmark = pytest.mark.django_db(transaction=True)

CREATE = reverse("signals:create")
SELECT = re.compile(r'<select name="leerlingen-(\w+)-pupil".*?</select>', re.DOTALL)
OPTION = re.compile(r'<option value="([^"]*)"( selected)?>([^<]*)</option>')


@pytest.fixture(autouse=True)
def _cache_on(settings):
    settings.MELDCODE_FRAGMENT_CACHE = True


@pytest.fixture
def builds(monkeypatch):
    """How often the options were built (a cache miss) rather than served from the cache."""
    counts = {"n": 0}
    original = fragments.cached

    def counting(name, scope, build):
        def counted():
            counts["n"] += 1
            return build()
        return original(name, scope, counted) if name == "signals.pupil_options" else \
            original(name, scope, build)

    monkeypatch.setattr(fragments, "cached", counting)
    return counts


def _page(client) -> str:
    response = client.get(CREATE)
    assert response.status_code == 200
    return response.content.decode()


def _selects(html: str) -> dict[str, str]:
    return {m.group(1): m.group(0) for m in SELECT.finditer(html)}


def _stock_select(user, school, name, value) -> str:
    """What Django's own Select renders for the same choices, as before this widget."""
    choices, _pupils = pupil_choices(user, school)
    field = forms.TypedChoiceField(choices=choices, coerce=int, required=True)
    return field.widget.render(name, value, attrs={"id": f"id_{name}"})


class StockForm(forms.Form):
    """The pupil field as it was: Django's own Select."""

    pupil = forms.TypedChoiceField(label="Leerling", coerce=int, choices=())


@pytest.fixture
def listed(verified_client, teacher, school, pupil, pupil2, other_pupil):
    """A school with pupils in two classes (one the teacher's), one without a class, one who
    left, and a pupil at another school."""
    SchoolClassFactory(school=school, name="groep 0 (leeg)")  # a class without pupils
    other_class = SchoolClassFactory(school=school, name="groep 1a")
    PupilFactory(school=school, school_class=other_class, first_name="Aaron", last_name="Zijl")
    teacher.memberships.get().classes.add(pupil.school_class)
    PupilFactory(school=school, first_name="Vertrokken",
                 left_on=timezone.localdate() - datetime.timedelta(days=3))
    verified_client.force_login(teacher)
    return verified_client


def test_rows_render_exactly_as_django_select(listed, teacher, school, pupil):
    """Every row (the three without JavaScript and the template row) has the same HTML as
    Django's stock Select over ``pupil_choices``: the same options, groups, order, labels."""
    selects = _selects(_page(listed))

    assert sorted(selects) == ["0", "1", "2", "__prefix__"]
    for prefix, html in selects.items():
        name = f"leerlingen-{prefix}-pupil"
        assert html == _stock_select(teacher, school, name, None)


def test_options_are_pupil_choices(listed, teacher, school):
    """The offered pupils are those ``pupil_choices`` gives (its scope decides), in order."""
    choices, _pupils = pupil_choices(teacher, school)
    expected = [("", "— kies een leerling —")] + [
        (str(pk), name) for _label, options in choices[1:] for pk, name in options]

    html = _selects(_page(listed))["0"]

    assert [(v, label) for v, _sel, label in OPTION.findall(html)] == expected
    groups = re.findall(r'<optgroup label="([^"]*)">', html)
    assert groups == [label for label, _opts in choices[1:]]
    assert groups[0] == "Mijn groep: groep 5a"
    assert "Fleur" not in html and "Vertrokken" not in html


def test_widget_marks_only_the_rows_value(teacher, school, pupil, pupil2):
    """A row with a value selects that pupil (and not the empty choice); a value that is no
    offered pupil selects nothing, as Django's Select does."""
    lookup = PupilLookup(teacher, school)
    for value in (pupil.pk, str(pupil2.pk), "999999", "", None, "<x>"):
        form = SignalPupilForm(lookup=lookup, prefix="p", initial={"pupil": value})
        stock = StockForm(prefix="p", initial={"pupil": value})
        stock.fields["pupil"].choices = pupil_choices(teacher, school)[0]
        assert str(form["pupil"]) == str(stock["pupil"])
        assert str(form["pupil"]).count(" selected") == (value not in ("999999", "<x>"))


def test_names_are_escaped(verified_client, teacher, school):
    klass = SchoolClassFactory(school=school, name='groep <8> & "co"')
    PupilFactory(school=school, school_class=klass, first_name="<script>alert(1)</script>",
                 last_name="O'Brien & \"Zn\"")
    verified_client.force_login(teacher)

    for _ in range(2):  # built, then from the cache
        html = _page(verified_client)
        assert "<script>alert(1)" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; O&#x27;Brien &amp; &quot;Zn&quot;" in html
        assert '<optgroup label="groep &lt;8&gt; &amp; &quot;co&quot;">' in html
        assert html.count("&lt;script&gt;alert(1)") == 4  # three rows and the template row


def test_refused_post_keeps_the_chosen_pupils(verified_client, teacher, school, pupil, pupil2):
    verified_client.force_login(teacher)
    _page(verified_client)  # options cached
    data = form_data([("", PupilRole.CONCERNED), (pupil2, PupilRole.WITNESS),
                      (pupil, PupilRole.CONCERNED)], facts="")

    response = verified_client.post(CREATE, data)

    assert response.status_code == 200
    selects = _selects(response.content.decode())
    chosen = {p: [v for v, sel, _l in OPTION.findall(html) if sel] for p, html in selects.items()}
    assert chosen == {"0": [""], "1": [str(pupil2.pk)], "2": [str(pupil.pk)],
                      "__prefix__": [""]}
    assert selects["1"] == _stock_select(teacher, school, "leerlingen-1-pupil", str(pupil2.pk))
    assert 'selected>' in selects["1"] and selects["1"].count(" selected") == 1


def test_directory_changes_show_at_once(verified_client, teacher, school, pupil, builds):
    verified_client.force_login(teacher)
    _page(verified_client)
    _page(verified_client)
    assert builds["n"] == 1  # the second page came from the cache

    added = PupilFactory(school=school, first_name="Nieuwkomer", last_name="Eerst")
    assert "Nieuwkomer Eerst" in _page(verified_client)

    added.first_name = "Hernoemd"
    added.save()
    html = _page(verified_client)
    assert "Hernoemd Eerst" in html and "Nieuwkomer" not in html

    added.left_on = timezone.localdate()
    added.save()
    assert "Hernoemd" not in _page(verified_client)

    klass = pupil.school_class
    klass.name = "groep 6b"
    klass.save()
    assert '<optgroup label="groep 6b">' in _page(verified_client)

    teacher.memberships.get().classes.add(klass)
    assert '<optgroup label="Mijn groep: groep 6b">' in _page(verified_client)


def test_teachers_share_options_but_not_class_order(verified_client, teacher, colleague,
                                                    school, pupil, pupil2, builds):
    """The cached options are the school's; which classes come first ("Mijn groep") is each
    teacher's own, applied per request."""
    teacher.memberships.get().classes.add(pupil.school_class)
    verified_client.force_login(teacher)
    mine = _selects(_page(verified_client))["0"]
    assert "Mijn groep: groep 5a" in mine
    assert mine.index("Mijn groep: groep 5a") < mine.index("zonder groep")

    verified_client.force_login(colleague)
    theirs = _selects(_page(verified_client))["0"]
    assert "Mijn groep" not in theirs
    assert theirs == _stock_select(colleague, school, "leerlingen-0-pupil", None)

    verified_client.force_login(teacher)
    assert _selects(_page(verified_client))["0"] == mine
    assert builds["n"] == 1


def test_cached_options_are_not_shared_between_schools(verified_client, teacher, other_school,
                                                       school, pupil, other_pupil):
    verified_client.force_login(teacher)
    assert "Noor Jansen" in _page(verified_client)
    other_teacher = staff(Role.LEERKRACHT, other_school, username="leerkracht_elders")
    verified_client.force_login(other_teacher)
    html = _page(verified_client)
    assert "Fleur Visser" in html and "Noor Jansen" not in html


def test_query_budget(verified_client, teacher, school, klass, django_assert_max_num_queries):
    """The page costs the same number of queries however many pupils the school has; from
    the cache, no pupil query at all (only the directory token and the teacher's classes)."""
    for i in range(60):
        PupilFactory(school=school, school_class=klass if i % 2 else None)
    verified_client.force_login(teacher)
    _page(verified_client)  # warm-up (session, caches)

    with CaptureQueriesContext(connection) as ctx:
        _page(verified_client)
    assert not any('"schools_pupil"' in q["sql"] for q in ctx.captured_queries)
    with django_assert_max_num_queries(8):
        _page(verified_client)

    caches["fragments"].clear()
    with django_assert_max_num_queries(9):  # built again: the pupils too
        _page(verified_client)


def test_formset_lookup_is_shared(teacher, school, pupil):
    """Every row of one formset renders from one set of options (built once)."""
    formset = pupil_formset(teacher, school)
    lookups = {id(f.fields["pupil"].widget.lookup) for f in formset} | {
        id(formset.empty_form.fields["pupil"].widget.lookup)}
    assert len(lookups) == 1
