"""Every URL, every role, from the own school and from outside: the outcome is pinned.

A URL without a row in ``MATRIX`` (or in ``NOT_IN_MATRIX`` with a reason) fails
``test_every_url_has_a_row``, so a new view cannot ship without its access rules.

Columns are the people of ``tests.security.world``:
recorder (teacher who recorded the signal and made the acute call), teacher (same school,
nothing to do with the case; reported the staff concern), invited (teacher with a read grant
on the case), ib, vc, directeur, sot (attends the meeting the case is on), sot_absent (SOT
member of the school, not at that meeting), beheerder and bestuur (board level; bestuur is
assigned to the board-route case), ib_same_board and directeur_same_board (at another school
of the board), ib_other_board, beheerder_other_board and bestuur_other_board (another board).
Plus ``anon`` (not signed in). The outsiders hold the same roles elsewhere: they must get 404
for every object of the world, never its data.

Outcomes: an HTTP status code, or ``LOGIN`` for a 302 to the login page. The rules: anonymous
→ login; an object the user may not see → 404; a visible object but an action the user may
not take → 403; a page for a role the user does not hold → 403. Authorised users of a POST
view get what an empty (invalid) form gives: 200/400 with errors, or 302.

How to add a row (one per URL name, in the block of its app below)::

    "app:name": (method, args, expected)            # or (method, args, expected, data)

- ``method``: "get", or "post" for views that only take POST (they answer 405 to GET) —
  the method that reaches the access check;
- ``args``: None, or ``lambda w: [...]``: the URL's arguments from the world (``w.obj[...]``,
  ``w.users[...]``; add the object to ``world.py`` when it is not there yet);
- ``expected``: role -> outcome for every column, built with ``row(default, **overrides)``
  (everyone signed in gets ``default``, anon gets LOGIN) or
  ``only(ok, allowed, otherwise=404, **overrides)``; ``case_row(ok, allowed)`` gives ``ok`` to
  ``allowed``, 403 to the other case readers and 404 to everyone else;
- ``data`` (optional): ``lambda w: {...}``, the POST body when an empty body would not reach
  the check you want to pin.

The world is built once per module inside a transaction that is rolled back at the end;
each test runs in a savepoint, and each role's request in a savepoint of its own, so a POST
by one role never changes what the next role sees.
"""

from importlib import import_module

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from .world import build_world

ROLES = ["anon", "recorder", "teacher", "invited", "ib", "vc", "directeur", "sot", "sot_absent",
         "beheerder", "bestuur", "ib_same_board", "directeur_same_board", "ib_other_board",
         "beheerder_other_board", "bestuur_other_board"]

LOGIN = "login"  # 302 to the login page


def row(default, **overrides):
    """Expected outcome per role: ``default`` for every signed-in role, anonymous → login."""
    result = {r: default for r in ROLES}
    result["anon"] = LOGIN
    result.update(overrides)
    return result


def only(ok, allowed, otherwise=404, **extra):
    """``ok`` for the roles in ``allowed``, ``otherwise`` for every other signed-in role."""
    return row(otherwise, **{r: ok for r in allowed}, **extra)


CASE_READERS = ["invited", "ib", "vc", "directeur", "sot"]
CASE_WRITERS = ["ib", "vc", "directeur", "sot"]
CASE_ADVANCERS = ["ib", "vc"]  # advance_case, view_access_log
SCHOOL_LEADS = ["ib", "vc", "directeur"]
TRIAGE = ["ib", "vc", "ib_same_board", "ib_other_board"]  # IB'ers and VC's of any school
STAFF = ["recorder", "teacher", "invited", "ib", "vc", "directeur", "sot", "sot_absent",
         "ib_same_board", "directeur_same_board", "ib_other_board"]  # any school-level role
MANAGERS = ["directeur", "beheerder"]  # beheer screens: own school / whole board
OTHER_MANAGERS = ["directeur_same_board", "beheerder_other_board"]  # the same, elsewhere


def case_row(ok, allowed, readers=CASE_READERS):
    """``ok`` for ``allowed``; 403 for the other users who can see the case; 404 for the rest."""
    return only(ok, allowed, **{r: 403 for r in readers if r not in allowed})


case_arg = lambda w: [w.obj["case"].pk]  # noqa: E731


def rec(key):
    return lambda w: [w.obj["case"].pk, w.obj[key].pk]


def obj(key):
    return lambda w: [w.obj[key].pk]


# name: (method, args, expected[, data])
MATRIX = {}


def _register(rows):
    for name, spec in rows.items():
        assert name not in MATRIX, name
        MATRIX[name] = spec


_register({
    # The local contacts of the user's schools (R47): every role sees its own schools' list.
    "contacts:list": ("get", None, row(200)),
})

_register({
    "core:dashboard": ("get", None, row(200)),
    "core:stepup": ("get", None, row(200)),  # the code form; it grants nothing by itself
})

_register({
    "signals:create": ("get", None, only(200, STAFF, otherwise=403)),
    "signals:mine": ("get", None, only(200, STAFF, otherwise=403)),
    "signals:triage": ("get", None, only(200, TRIAGE, otherwise=403)),
    "signals:detail": ("get", obj("signal"), only(200, ["recorder", *CASE_READERS])),
    "signals:attachment": ("get", obj("attachment"), only(200, ["recorder", *CASE_READERS])),
    "signals:correct": ("get", obj("signal"),
                        case_row(200, ["recorder", "ib", "vc"])),
    "signals:acknowledge": ("post", obj("signal"),
                            case_row(302, ["ib", "vc"], readers=["recorder", *CASE_READERS])),
})

_register({
    "notifications:list": ("get", None, row(200)),
    "notifications:read": ("post", obj("notification"), only(302, ["ib"])),
    "notifications:read_all": ("post", None, row(302)),
})

_register({
    "cases:list": ("get", None, row(200)),
    "cases:open": ("get", None, only(200, TRIAGE, otherwise=403)),
    "cases:detail": ("get", case_arg, only(200, CASE_READERS)),
    "cases:timeline": ("get", case_arg, only(200, CASE_READERS)),
    "cases:history": ("get", case_arg, only(200, CASE_READERS)),
    "cases:access_log": ("get", case_arg, case_row(200, CASE_ADVANCERS)),
    "cases:access": ("get", case_arg, case_row(200, CASE_ADVANCERS)),
    # Empty body: the form refuses (200 with errors) after the access check.
    "cases:move_forward": ("post", case_arg, case_row(200, CASE_ADVANCERS)),
    "cases:move_back": ("post", case_arg, case_row(200, CASE_ADVANCERS)),
    "cases:close": ("post", case_arg, case_row(200, CASE_ADVANCERS)),
    "cases:reopen": ("post", case_arg, case_row(200, CASE_ADVANCERS)),
    "cases:grant_access": ("post", case_arg, case_row(200, CASE_ADVANCERS)),
    "cases:revoke_access": ("post", lambda w: [w.obj["case"].pk, w.users["invited"].pk],
                            case_row(302, CASE_ADVANCERS)),
})

# Records of steps 1-4: add/edit need add_record, the detail page view_case.
for _slug, _key in [("consultation", "consultation"), ("vt_advice", "vt_advice"),
                    ("conversation", "conversation"), ("parent_contact", "parent_contact"),
                    ("vir", "vir"), ("parent_statement", "parent_statement")]:
    _register({
        f"cases:{_slug}_add": ("get", case_arg, case_row(200, CASE_WRITERS)),
        f"cases:{_slug}_detail": ("get", rec(_key), only(200, CASE_READERS)),
        f"cases:{_slug}_edit": ("get", rec(_key), case_row(200, CASE_WRITERS)),
    })

# R32: a shared working note is a record ("aantekening"): no add page, it comes from sharing.
_register({
    "cases:note_detail": ("get", rec("note"), only(200, CASE_READERS)),
    "cases:note_edit": ("get", rec("note"), case_row(200, CASE_WRITERS)),
})

# R32: private working notes. Every reader of the case may keep their own; a note is the
# owner's (the IB'er's) alone: every other role, the directeur and other case writers
# included, gets 404 for it.
_register({
    "worknotes:list": ("get", case_arg, only(200, CASE_READERS)),
    "worknotes:edit": ("get", rec("work_note"), only(200, ["ib"])),
    "worknotes:share": ("get", rec("work_note"), only(200, ["ib"])),
    "worknotes:delete": ("get", rec("work_note"), only(200, ["ib"])),
})

_register({
    "cases:vir_withdraw": ("get", rec("vir"), case_row(200, CASE_WRITERS)),
    # R44: matches and the regievoerder are recorded by those who add records; readers see
    # them on the registration's page (cases:vir_detail).
    "cases:vir_match_add": ("get", rec("vir"), case_row(200, CASE_WRITERS)),
    "cases:vir_match_edit": ("get", lambda w: [w.obj["case"].pk, w.obj["vir"].pk,
                                               w.obj["vir_match"].pk],
                             case_row(200, CASE_WRITERS)),
    # R39: the scanned letter of a parents' statement, to everyone who may read the case.
    "cases:parent_statement_file": ("get", rec("parent_statement"), only(200, CASE_READERS)),
    "cases:case_sot_agenda": ("get", case_arg, case_row(200, CASE_WRITERS)),
    # The SOT pages are for school leads and SOT members; teachers and board roles get 403.
    "cases:sot_meeting_list": ("get", None,
                               only(200, [*SCHOOL_LEADS, "sot", "sot_absent", "ib_same_board",
                                          "directeur_same_board", "ib_other_board"],
                                    otherwise=403)),
    # Planning at a school: its leads; its other staff 403; no role at that school 404.
    "cases:sot_meeting_add": ("get", obj("school"),
                              only(200, SCHOOL_LEADS, recorder=403, teacher=403, invited=403,
                                   sot=403, sot_absent=403)),
    "cases:sot_meeting_detail": ("get", obj("meeting"), only(200, [*SCHOOL_LEADS, "sot"])),
    "cases:sot_meeting_edit": ("get", obj("meeting"), only(200, SCHOOL_LEADS, sot=403)),
    "cases:sot_agenda_add": ("post", obj("meeting"), only(302, SCHOOL_LEADS, sot=403)),
    "cases:sot_discussion_edit": ("get", lambda w: [w.obj["meeting"].pk, w.obj["discussion"].pk],
                                  only(200, [*SCHOOL_LEADS, "sot"])),
})

_register({
    "afwegingskader:step5": ("get", case_arg, only(200, CASE_READERS)),
    "afwegingskader:decision_add": ("get", case_arg, case_row(200, ["directeur", "sot"])),
    "afwegingskader:decision_add_urgent": ("get", case_arg, case_row(200, ["vc"])),
    "afwegingskader:decision_detail": ("get", rec("decision"), only(200, CASE_READERS)),
    "afwegingskader:report_add": ("get", case_arg, case_row(200, CASE_WRITERS)),
    "afwegingskader:report_draft": ("get", case_arg, case_row(200, CASE_WRITERS)),
    "afwegingskader:report_detail": ("get", rec("report"), only(200, CASE_READERS)),
    "afwegingskader:report_edit": ("get", rec("report"), case_row(200, CASE_WRITERS)),
    "afwegingskader:report_draft_from_report": ("get", rec("report"),
                                                case_row(200, CASE_WRITERS)),
    "afwegingskader:feedback_add": ("get", rec("report"), case_row(200, CASE_WRITERS)),
    "afwegingskader:role_agreement_add": ("get", rec("report"), case_row(200, CASE_WRITERS)),
    "afwegingskader:role_agreement_edit": (
        "get", lambda w: [w.obj["case"].pk, w.obj["report"].pk, w.obj["agreement"].pk],
        case_row(200, CASE_WRITERS)),
    "afwegingskader:info_request_add": ("get", case_arg, case_row(200, CASE_WRITERS)),
    "afwegingskader:help_plan": ("get", case_arg, case_row(200, CASE_WRITERS)),
    "afwegingskader:followup": ("get", case_arg, only(200, CASE_READERS)),
    "afwegingskader:bottleneck_add": ("get", case_arg, case_row(200, CASE_WRITERS)),
    "afwegingskader:followup_add": ("get", lambda w: [w.obj["case"].pk, "evaluatie"],
                                    case_row(200, CASE_WRITERS)),
    "afwegingskader:followup_edit": (
        "get", lambda w: [w.obj["case"].pk, "actie", w.obj["followup_action"].pk],
        case_row(200, CASE_WRITERS)),
})

_register({
    "specialroutes:acute_create": ("get", None, only(200, STAFF, otherwise=403)),
    "specialroutes:acute_list": ("get", None, only(200, ["vc", "directeur",
                                                         "directeur_same_board"], otherwise=403)),
    # The caller (recorder) sees their call without seeing the case.
    "specialroutes:acute_detail": ("get", obj("acute_call"),
                                   only(200, ["recorder", *CASE_READERS])),
    "specialroutes:acute_retrospective": ("get", obj("acute_call"),
                                          only(200, ["recorder", *CASE_WRITERS], invited=403)),
    "specialroutes:staff_report": ("get", None, only(200, STAFF, otherwise=403)),
    "specialroutes:staff_report_done": ("get", obj("staff_concern"), only(200, ["teacher"])),
    "specialroutes:staff_overview": ("get", None, only(200, ["bestuur", "bestuur_other_board"],
                                                       otherwise=403)),
    "specialroutes:staff_start": ("get", lambda w: [w.obj["staff_signal"].pk],
                                  only(200, ["bestuur"], otherwise=403, bestuur_other_board=404)),
    "specialroutes:staff_detail": ("get", obj("staff_case"), only(200, ["bestuur"])),
    "specialroutes:staff_record_add": ("get", lambda w: [w.obj["staff_case"].pk, "aangifte"],
                                       only(200, ["bestuur"])),
    # No other bestuurder to add: the empty form is refused with 400.
    "specialroutes:staff_assign": ("post", obj("staff_case"), only(400, ["bestuur"])),
})

_register({
    "reminders:preferences": ("get", None, row(200)),
    "reminders:terms": ("get", None, only(200, ["beheerder", "beheerder_other_board"],
                                          otherwise=403)),
    "reminders:terms_edit": ("get", obj("school"),
                             only(200, ["beheerder"], otherwise=403, beheerder_other_board=404)),
})

# Beheer screens: the directeur for the own school, the beheerder for the whole board; the
# same roles elsewhere see their own lists and get 404 for this school's objects.
MANAGE_LIST = only(200, [*MANAGERS, *OTHER_MANAGERS], otherwise=403)
MANAGE_OBJECT = only(200, MANAGERS, otherwise=403, **{r: 404 for r in OTHER_MANAGERS})
_register({
    "schools:people": ("get", None, MANAGE_LIST),
    "schools:person_create": ("get", None, MANAGE_LIST),
    "schools:school_list": ("get", None, MANAGE_LIST),
    # The school's switches (R12, R32, R45) need schools.manage_settings: the board's
    # beheerder only, as for the reminder terms (the directeur too gets 403).
    "schools:school_settings": ("get", obj("school"),
                                only(200, ["beheerder"], otherwise=403,
                                     beheerder_other_board=404)),
    "schools:person_detail": ("get", lambda w: [w.users["teacher"].pk], MANAGE_OBJECT),
    "schools:membership_add": ("get", lambda w: [w.users["teacher"].pk], MANAGE_OBJECT),
    "schools:membership_end": ("get", obj("teacher_membership"), MANAGE_OBJECT),
    # Local contacts (R47): schools.manage_people, so the directeur keeps them current too.
    "schools:contact_list": ("get", obj("school"), MANAGE_OBJECT),
    "schools:contact_create": ("get", obj("school"), MANAGE_OBJECT),
    "schools:contact_edit": ("get", lambda w: [w.obj["school"].pk, w.obj["contact"].pk],
                             MANAGE_OBJECT),
    "schools:contact_delete": ("get", lambda w: [w.obj["school"].pk, w.obj["contact"].pk],
                               MANAGE_OBJECT),
    "schools:class_list": ("get", obj("school"), MANAGE_OBJECT),
    "schools:class_create": ("get", obj("school"), MANAGE_OBJECT),
    "schools:class_edit": ("get", obj("klass"), MANAGE_OBJECT),
    "schools:pupil_list": ("get", obj("school"), MANAGE_OBJECT),
    "schools:pupil_create": ("get", obj("school"), MANAGE_OBJECT),
    "schools:pupil_detail": ("get", obj("pupil"), MANAGE_OBJECT),
    "schools:pupil_edit": ("get", obj("pupil"), MANAGE_OBJECT),
    "schools:parent_add": ("get", obj("pupil"), MANAGE_OBJECT),
    "schools:parent_edit": ("get", obj("parent_link"), MANAGE_OBJECT),
    "schools:parent_remove": ("post", obj("spare_parent_link"),
                              only(302, MANAGERS, otherwise=403,
                                   **{r: 404 for r in OTHER_MANAGERS})),
    # Importing pupils is the beheerder's alone (the directeur too gets 403).
    "schools:pupil_import": ("get", None,
                             only(200, ["beheerder", "beheerder_other_board"], otherwise=403)),
    "schools:pupil_import_template": ("get", None, only(200, ["beheerder",
                                                              "beheerder_other_board"],
                                                        otherwise=403)),
    # With the school filled in, the beheerder passes the check and is sent back to step 1
    # (no valid payload); an empty body would give everyone 403. A school outside the
    # scope is refused with 403 by the form's school field.
    "schools:pupil_import_confirm": ("post", None, only(302, ["beheerder"], otherwise=403),
                                     lambda w: {"school": w.obj["school"].pk}),
})

_register({
    "exports:case_export": ("get", case_arg, case_row(200, ["directeur"])),
    # Jobs are private to their requester (the directeur).
    "exports:job_detail": ("get", obj("export_job"), only(200, ["directeur"])),
    "exports:job_status": ("get", obj("export_job"), only(200, ["directeur"])),
    "exports:job_download": ("post", obj("export_job"), only(200, ["directeur"])),
    # Access requests: handled by the school leads (export_dossier or view_access_log, and
    # view_school_cases); leads of other schools see their own list but not this pupil.
    "exports:inzage_list": ("get", None, only(200, [*TRIAGE, "directeur", "directeur_same_board"],
                                              otherwise=403)),
    "exports:inzage_new": ("get", obj("pupil"),
                           only(200, SCHOOL_LEADS, otherwise=403, ib_same_board=404,
                                directeur_same_board=404, ib_other_board=404)),
    "exports:inzage_detail": ("get", obj("access_request"), only(200, SCHOOL_LEADS)),
    "exports:inzage_options": ("post", obj("access_request"), only(302, SCHOOL_LEADS)),
    "exports:inzage_redact": ("get", lambda w: [w.obj["access_request"].pk, "cases.consultation",
                                                w.obj["consultation"].pk],
                              only(200, SCHOOL_LEADS)),
    "exports:redaction_delete": ("post", lambda w: [w.obj["access_request"].pk,
                                                    w.obj["redaction"].pk],
                                 only(302, SCHOOL_LEADS)),
    "exports:inzage_export": ("post", obj("access_request"), only(302, SCHOOL_LEADS)),
    "exports:inzage_complete": ("post", obj("access_request"), only(400, SCHOOL_LEADS)),
})

# Retention: the board's terms are the beheerder's; destruction, holds and pupils' requests
# are the veiligheidscoördinator's and the directeur's of the school (403 for anyone holding
# neither role anywhere, 404 for a directeur of another school).
RETENTION_LEADS = ["vc", "directeur", "directeur_same_board"]
RETENTION_OBJECT = only(200, ["vc", "directeur"], otherwise=403, directeur_same_board=404)
_register({
    "retention:terms": ("get", None, only(200, ["beheerder", "beheerder_other_board"],
                                          otherwise=403)),
    "retention:terms_edit": ("get", obj("board"),
                             only(200, ["beheerder"], otherwise=403, beheerder_other_board=404)),
    "retention:proposals": ("get", None, only(200, RETENTION_LEADS, otherwise=403)),
    "retention:proposal": ("get", case_arg, RETENTION_OBJECT),
    "retention:hold_add": ("get", case_arg, RETENTION_OBJECT),
    "retention:signal_proposal": ("get", obj("loose_signal"), RETENTION_OBJECT),
    "retention:hold_lift": ("get", obj("legal_hold"), RETENTION_OBJECT),
    "retention:requests": ("get", None, only(200, RETENTION_LEADS, otherwise=403)),
    "retention:request_new": ("get", obj("pupil"), RETENTION_OBJECT),
    "retention:request_detail": ("get", obj("destruction_request"), RETENTION_OBJECT),
})

NOT_IN_MATRIX = {
    # Pages that hold no school data and are open by design.
    "core:health": "load-balancer health check, returns 'ok'",
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
                if str(p.pattern) == django_settings.ADMIN_URL:
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


def _signed_in_session(user, device) -> str:
    """A session as ``force_login`` plus a passed second factor leave it; its key."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = import_module(django_settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = user._meta.pk.value_to_string(user)
    store[BACKEND_SESSION_KEY] = "core.auth.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store["otp_device_id"] = device.persistent_id
    store.save()
    return store.session_key


# Views that ask a fresh 2FA code after their permission check (core.stepup). The matrix pins
# who may reach them, so every session has just passed the step-up; test_stepup.py covers the
# redirect for a session without one.
STEPUP_URLS = {"cases:history", "exports:case_export", "exports:job_download",
               "exports:inzage_export"}


def _step_up(session_key: str) -> None:
    from django.utils import timezone

    from core.stepup import SESSION_KEY

    store = import_module(django_settings.SESSION_ENGINE).SessionStore(session_key=session_key)
    store[SESSION_KEY] = timezone.now().timestamp()
    store.save()


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The world, built once for the module inside a transaction rolled back at its end.

    pytest-django runs every test in a savepoint of it. Each role gets a signed-in,
    2FA-verified session up front (logging in twelve times per URL doubles the run time).
    Its files live in a directory of their own (``tests/conftest.py`` gives every test
    another MEDIA_ROOT).
    """
    from django_otp.plugins.otp_totp.models import TOTPDevice

    media = tmp_path_factory.mktemp("matrix-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media):
        with transaction.atomic():
            built = build_world()
            built.media_root = media
            built.sessions = {
                role: _signed_in_session(user, TOTPDevice.objects.get(user=user))
                for role, user in built.users.items()}
            yield built
            transaction.set_rollback(True)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_permission_matrix(name, world, client, settings):
    settings.MEDIA_ROOT = world.media_root
    method, args, expected, *rest = MATRIX[name]
    data = rest[0](world) if rest else None
    url = reverse(name, args=args(world) if args else None)
    client.raise_request_exception = False  # a 500 is an outcome (logged), not a crash
    cookie = django_settings.SESSION_COOKIE_NAME
    actual = {}
    for role in ROLES:
        client.cookies.pop(cookie, None)
        if role != "anon":
            client.cookies[cookie] = world.sessions[role]
            if name in STEPUP_URLS:
                _step_up(world.sessions[role])
        with transaction.atomic():  # whatever this role's request changes, the next won't see
            response = getattr(client, method)(url, data)
            actual[role] = _outcome(response)
            transaction.set_rollback(True)
    mismatches = {r: (expected[r], actual[r]) for r in ROLES if expected[r] != actual[r]}
    assert not mismatches, f"{name} {url}: role: (expected, actual) {mismatches}"
