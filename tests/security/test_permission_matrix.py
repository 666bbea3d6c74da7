"""Every URL, every role, from the own school and from outside: the outcome is pinned.

A URL without a row in ``MATRIX`` (or in ``NOT_IN_MATRIX`` with a reason) fails
``test_every_url_has_a_row``, so a new view cannot ship without its access rules.

Columns are the people of ``tests.security.world``:
recorder (teacher who recorded the signal), teacher (same school, nothing to do with it),
invited (teacher with a read grant on the case), ib, vc, directeur, sot (attends the meeting
the case is on), sot_absent (SOT member of the school, not at that meeting), beheerder and
bestuur (board level), ib_same_board (IB'er at another school of the board), ib_other_board.
"""

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from .world import build_world

ROLES = ["anon", "recorder", "teacher", "invited", "ib", "vc", "directeur", "sot", "sot_absent",
         "beheerder", "bestuur", "ib_same_board", "ib_other_board"]

LOGIN = "login"  # 302 to the login page


def row(default, **overrides):
    """Expected outcome per role: ``default`` for every signed-in role, anonymous → login."""
    result = {r: default for r in ROLES}
    result["anon"] = LOGIN
    result.update(overrides)
    return result


def only(ok, allowed, otherwise=404, **extra):
    return row(otherwise, **{r: ok for r in allowed}, **extra)


CASE_READERS = ["invited", "ib", "vc", "directeur", "sot"]
CASE_WRITERS = ["ib", "vc", "directeur", "sot"]
SCHOOL_LEADS = ["ib", "vc", "directeur"]
STAFF = ["recorder", "teacher", "invited", "ib", "vc", "directeur", "sot", "sot_absent",
         "ib_same_board", "ib_other_board"]

case_arg = lambda w: [w.obj["case"].pk]  # noqa: E731


def rec(key):
    return lambda w: [w.obj["case"].pk, w.obj[key].pk]


# name: (method, args, expected)
MATRIX = {}
MATRIX_FILE_ROWS = {}  # filled below per area


def _register(rows):
    for name, spec in rows.items():
        assert name not in MATRIX, name
        MATRIX[name] = spec


NOT_IN_MATRIX = {
    # Pages that hold no school data and are open by design.
    "health": "load-balancer health check, returns 'ok'",
    "password_reset": "public by design", "password_reset_done": "public by design",
    "password_reset_confirm": "public by design (token checked)",
    "password_reset_complete": "public by design", "logout": "POST only, ends own session",
    "two_factor:login": "public by design",
}


def all_url_names():
    names = set()

    def walk(patterns, ns):
        for p in patterns:
            if isinstance(p, URLResolver):
                if str(p.pattern) == settings.ADMIN_URL:
                    continue  # the admin site: superusers with 2FA only, tested in test_auth
                inner = f"{ns}:{p.namespace}" if ns and p.namespace else (p.namespace or ns)
                walk(p.url_patterns, inner)
            elif isinstance(p, URLPattern) and p.name:
                names.add(f"{ns}:{p.name}" if ns else p.name)

    walk(get_resolver().url_patterns, "")
    return {n for n in names if not n.startswith("two_factor:") or n == "two_factor:login"}


def test_every_url_has_a_row():
    missing = all_url_names() - set(MATRIX) - set(NOT_IN_MATRIX)
    assert not missing, f"URLs without a row in the permission matrix: {sorted(missing)}"
    stale = set(MATRIX) - all_url_names()
    assert not stale, f"rows for URLs that no longer exist: {sorted(stale)}"


def _outcome(response):
    if response.status_code == 302 and "/account/login/" in response.url:
        return LOGIN
    return response.status_code


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(MATRIX) if MATRIX else ["-"])
def test_permission_matrix(name, verified_client, django_user_model):
    if name == "-":
        pytest.skip("empty matrix")
    method, args, expected = MATRIX[name]
    world = build_world()
    url = reverse(name, args=args(world) if args else None)
    actual = {}
    for role in ROLES:
        verified_client.logout()
        if role != "anon":
            verified_client.force_login(world.users[role])
        response = getattr(verified_client, method)(url)
        actual[role] = _outcome(response)
    mismatches = {r: (expected[r], actual[r]) for r in ROLES if expected[r] != actual[r]}
    assert not mismatches, f"{name} {url}: role: (expected, actual) {mismatches}"
