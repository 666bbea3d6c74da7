"""Case pages: list, open, detail, step moves, access, timeline, change history.

Every view: signed in, then the case through ``case_get_for_user`` (404 when the user may
not see it), then the user's codenames on it from ``case_permissions`` (403 for an action
the user may not take on a case they can see). Writes go through ``cases.workflow`` and
``cases.services``; every read of case data writes an access-log row.
"""

from __future__ import annotations

import functools
from types import SimpleNamespace

from django.apps import apps
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Count,
    DateField,
    Exists,
    F,
    Max,
    OuterRef,
    Q,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import Cast
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import fragments
from core.forms import post_data
from core.stepup import require_stepup
from schools.access import school_ids_with_perm
from schools.models import Membership, Pupil
from schools.roles import Role
from schools.services import school_contacts
from signals.models import Signal, SignalPupil, SignalVersion

from . import forms
from .history import case_history
from .models import (
    SHORT_STEP,
    SUPPORT_ROUTE,
    AccessAction,
    AccessLog,
    Case,
    CaseNote,
    CaseSignal,
    CaseUserObjectPermission,
    Consultation,
    Conversation,
    ConversationKind,
    NotHeldReason,
    ParentStatement,
    Route,
    SotDiscussion,
    StatementChannel,
    Status,
    Step,
    VeiligThuisAdvice,
    VerwijsindexRegistration,
)
from .selectors import (
    CASE_RELATED,
    case_get_for_user,
    case_permissions,
    cases_visible_to,
    signal_get_for_user,
    signal_visibility_q,
)
from .services import (
    EditConflict,
    ServiceError,
    case_add_signals,
    case_grant_access,
    case_open,
    case_revoke_access,
    listed_rows,
    log_access,
    log_listed_rows,
    sibling_cases,
)
from .timeline import case_signals, case_timeline
from .workflow import (
    FORWARD,
    TransitionRefused,
    blocking_reasons,
    close_case,
    move_case,
    reopen_case,
)

PAGE_SIZE = 50

CONFLICT_MESSAGE = gettext_lazy(
    "Iemand anders heeft dit dossier intussen gewijzigd, bijvoorbeeld naar een andere stap "
    "gezet. Hieronder ziet u de huidige stand; uw invoer is bewaard. Verstuur het formulier "
    "opnieuw als uw actie nog steeds klopt.")


def _int_param(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


# --- List -------------------------------------------------------------------------------

CASE_FILTER_SESSION_KEY = "case_list_filter"


def _case_filter(request) -> tuple[forms.CaseFilterForm, dict, bool]:
    """The case list's filter form, its cleaned values and whether to redirect (after a POST
    that stored or cleared the search).

    A name search is sent by POST and kept in the session, so a pupil's name never appears
    in a URL (browser history, proxy logs). Step and status may come in the query string too
    (the start page links to "step 3"); they name no one, and such a link starts a new search.
    """
    if request.method == "POST":
        form = forms.CaseFilterForm(post_data(request), initial={"status": "open"})
        if "wissen" in request.POST:
            request.session.pop(CASE_FILTER_SESSION_KEY, None)
            return form, {}, True
        if form.is_valid():
            request.session[CASE_FILTER_SESSION_KEY] = {
                "q": form.cleaned_data["q"], "step": form.cleaned_data["step"],
                "status": form.cleaned_data["status"]}
            return form, {}, True
        return form, {}, False
    if "step" in request.GET or "status" in request.GET:
        form = forms.CaseFilterForm({"step": request.GET.get("step", ""),
                                     "status": request.GET.get("status", "")},
                                    initial={"status": "open"})
        return form, (form.cleaned_data if form.is_valid() else {}), False
    saved = request.session.get(CASE_FILTER_SESSION_KEY)
    if saved:
        form = forms.CaseFilterForm({k: "" if v is None else v for k, v in saved.items()},
                                    initial={"status": "open"})
        return form, (form.cleaned_data if form.is_valid() else {}), False
    return forms.CaseFilterForm(initial={"status": "open"}), {}, False


@login_required
@require_http_methods(["GET", "POST"])
def case_list(request):
    """The cases the user may see, filtered and paginated. Empty (never an error) for others."""
    form, data, done = _case_filter(request)
    if done:
        return redirect("cases:list")
    status = data.get("status") or "open"

    def build():
        cases = cases_visible_to(request.user)
        if status != "alle":
            cases = cases.filter(status=status)
        if data.get("step"):
            cases = cases.filter(step=data["step"])
        for term in (data.get("q") or "").split()[:5]:
            cases = cases.filter(Q(pupil__first_name__icontains=term)
                                 | Q(pupil__last_name__icontains=term)
                                 | Q(number__icontains=term))
        page = Paginator(cases.order_by("-opened_at", "-pk"), PAGE_SIZE).get_page(
            request.GET.get("pagina"))
        now = timezone.now()
        for case in page:
            case.days_in_step = (now - case.step_entered_at).days
        return page

    filtered = bool(request.session.get(CASE_FILTER_SESSION_KEY) or request.GET)

    def context(page):
        return {"form": form, "page": page, "status": status, "filtered": filtered,
                "can_open": bool(school_ids_with_perm(request.user, "cases.open_case"))}

    if form.is_bound and form.errors:  # a refused search: shown fresh, with what was typed
        page = build()
        body = render_to_string("cases/_case_list_page.html", context(page), request=request)
        listed = listed_rows(page)
    else:
        def build_page():
            page = build()
            return (fragments.render_with_placeholders("cases/_case_list_page.html",
                                                       context(page), request),
                    listed_rows(page))

        # Keyed on the filters and the page asked for (hashed: no pupil name in a key).
        filters = (status, data.get("step"), data.get("q") or "", request.GET.get("pagina"),
                   tuple(sorted(request.GET.lists())), filtered)
        cached_body, listed = fragments.cached(
            "case-list", lambda: (filters, *fragments.school_scope(request.user, hour=True)),
            build_page)
        body = fragments.fill(cached_body, request)
    log_listed_rows(user=request.user, rows=listed)
    return render(request, "cases/case_list.html", {"body": body})


# --- Open a case -------------------------------------------------------------------------

def _open_case_signals(user, pupil):
    """Signals about ``pupil`` the user may see that are in no open case of that pupil."""
    in_open_case = CaseSignal.objects.filter(signal_id=OuterRef("pk"), case__pupil_id=pupil.pk,
                                             case__status=Status.OPEN)
    latest_facts = (SignalVersion.objects.filter(signal_id=OuterRef("pk"))
                    .order_by("-number").values("facts")[:1])
    return (Signal.objects.filter(signal_visibility_q(user))
            .filter(school_id=pupil.school_id, pupil_links__pupil_id=pupil.pk,
                    staff_suspect=False)  # staff suspects follow the board's route (§6)
            .exclude(Exists(in_open_case))
            .annotate(latest_facts=Subquery(latest_facts))
            .select_related("recorded_by").order_by("-observed_on", "-recorded_at"))


def _case_leads(school_id):
    """The school's IB'ers and veiligheidscoördinatoren: who can own a case."""
    members = Membership.objects.active().filter(user_id=OuterRef("pk"), school_id=school_id,
                                                 role__in=[Role.IB, Role.VC])
    return (get_user_model().objects.filter(Exists(members), is_active=True)
            .order_by("last_name", "first_name", "pk"))


def _pending_pupils(user, school_ids):
    """Pupils with visible signals that are not yet in an open case of theirs."""
    in_open_case = CaseSignal.objects.filter(signal_id=OuterRef("signal_id"),
                                             case__pupil_id=OuterRef("pupil_id"),
                                             case__status=Status.OPEN)
    visible = Signal.objects.filter(signal_visibility_q(user)).filter(
        school_id__in=school_ids, staff_suspect=False)
    return list(SignalPupil.objects.filter(signal__in=visible, pupil__school_id__in=school_ids)
                .exclude(Exists(in_open_case))
                .values("pupil_id", "pupil__first_name", "pupil__last_name",
                        "pupil__school_class__name", "pupil__school__name")
                .annotate(signal_count=Count("signal_id"), latest=Max("signal__observed_on"))
                .order_by("-latest", "pupil__last_name")[:200])


@login_required
def case_open_view(request):
    """Open a case for one pupil from signals, or add signals to that pupil's open case.

    ``?signal=<id>`` preselects a signal (and its pupil when it concerns one pupil);
    ``?pupil=<id>`` chooses the pupil. Only IB'er and veiligheidscoördinator (open_case).
    """
    user = request.user
    school_ids = school_ids_with_perm(user, "cases.open_case")
    if not school_ids:
        raise PermissionDenied
    signal = None
    if (signal_id := _int_param(request.GET.get("signal"))) is not None:
        signal = signal_get_for_user(user, signal_id)
        if signal.school_id not in school_ids:
            raise PermissionDenied
    pupil_id = _int_param(request.GET.get("pupil"))
    pupil = None
    if pupil_id is not None:
        pupils = Pupil.objects.filter(school_id__in=school_ids)
        if signal is not None:
            pupils = pupils.filter(signal_links__signal=signal)
        pupil = get_object_or_404(pupils.select_related("school", "school_class"), pk=pupil_id)
    elif signal is not None:
        links = list(signal.pupil_links.select_related("pupil", "pupil__school_class")
                     .order_by("pupil__last_name", "pupil__first_name"))
        if len(links) != 1:
            return render(request, "cases/case_open.html", {
                "mode": "choose_pupil", "signal": signal, "links": links})
        pupil = links[0].pupil
    else:
        return render(request, "cases/case_open.html", {
            "mode": "pending", "pending": _pending_pupils(user, school_ids)})

    existing = (cases_visible_to(user).filter(pupil=pupil, status=Status.OPEN,
                                              route=Route.MELDCODE)
                .order_by("-opened_at").first())
    signals_qs = _open_case_signals(user, pupil)
    owners_qs = _case_leads(pupil.school_id)
    initial = {"signals": [signal.pk] if signal is not None else [], "owner": user.pk}
    form = forms.CaseOpenForm(request.POST if request.method == "POST" else None,
                              initial=initial, signals_qs=signals_qs, owners_qs=owners_qs,
                              adding=existing is not None)
    if request.method == "POST" and form.is_valid():
        chosen = list(form.cleaned_data["signals"])
        try:
            if existing is not None:
                added = case_add_signals(case=existing, signals=chosen, actor=user)
                messages.success(request, ngettext(
                    "%(n)s signaal toegevoegd aan dossier %(number)s.",
                    "%(n)s signalen toegevoegd aan dossier %(number)s.", added) % {
                    "n": added, "number": existing.number})
                return redirect("cases:detail", existing.pk)
            case = case_open(pupil=pupil, actor=user, signals=chosen,
                             owner=form.cleaned_data["owner"], reason=form.cleaned_data["reason"])
        except ServiceError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Dossier %(number)s is geopend.") % {
                "number": case.number})
            return redirect("cases:detail", case.pk)
    listed = list(signals_qs)
    for listed_signal in listed:  # the form shows the start of each signal's facts
        log_access(user=user, obj=listed_signal)
    return render(request, "cases/case_open.html", {
        "mode": "form", "pupil": pupil, "signal": signal, "existing": existing, "form": form,
        "has_signals": bool(listed),
        "staff_suspect_signal": signal is not None and signal.staff_suspect,
    })


# --- Detail and step actions -------------------------------------------------------------

from .actions import case_actions  # noqa: E402


def _record_actions(case: Case, perms: set[str]) -> list[dict]:
    """"Add record" links offered by ``cases.record_urls`` that fit this step and user; on a
    closed case only those marked ``on_closed_case`` (a parents' statement, R39)."""
    links = []
    for action in case_actions():
        if not case.is_open and not action.get("on_closed_case"):
            continue
        steps = action.get("steps")
        if steps is not None and case.step not in steps:
            continue
        if action.get("perm", "add_record") not in perms:
            continue
        if action.get("requires") == "verwijsindex" and not case.school.verwijsindex_enabled:
            continue  # R45: only where the school uses the Verwijsindex
        try:
            url = reverse(action["url_name"], args=[case.pk])
        except NoReverseMatch:
            continue
        links.append({"url": url, "label": action["label"]})
    return links


def _staff_and_grants(case: Case) -> list:
    """Staff who may be invited into the case plus everyone already invited, in one query.

    Each user carries ``is_member`` (a role at the school, or for the staff route at the
    board), ``can_view`` and ``can_contribute`` (the case's object grants).
    """
    user_model = get_user_model()
    members = Membership.objects.active().filter(user_id=OuterRef("pk"))
    if case.route == Route.STAFF:
        members = members.filter(school__isnull=True, board_id=case.school.board_id)
    else:
        members = members.filter(school_id=case.school_id)
    grants = CaseUserObjectPermission.objects.filter(content_object_id=case.pk,
                                                     user_id=OuterRef("pk"))
    return list(user_model.objects.annotate(
        is_member=Exists(members),
        can_view=Exists(grants.filter(permission__codename="view_case")),
        can_contribute=Exists(grants.filter(permission__codename="contribute_case")),
    ).filter(Q(is_member=True) | Q(can_view=True)).order_by("last_name", "first_name", "pk"))


def _step_name(step) -> str:
    """Short name for buttons: "stap 2 (Consultatie)", or the follow-up phase."""
    step = Step(step)
    if step == Step.VOLGEN:
        return _("de fase volgen en afsluiten")
    return _("stap %(n)s (%(short)s)") % {"n": step.value, "short": SHORT_STEP[step]}


def _step_bar(case: Case) -> list[dict]:
    current = Step(case.step)
    return [{"step": s, "label": s.label, "number": s.value, "route": SUPPORT_ROUTE[s],
             "current": s == current, "done": s < current} for s in Step]


def _url(name: str, *args) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


# The step records on the case page, by type: (key, title, model, {column: field}).
# All five types are read in ONE union query (columns t1..t5 text, flag, d1/d2 dates, n1 an
# id), so the case page stays within its query budget whatever the number of records.
_RECORD_SECTIONS = [
    ("verwijsindex", gettext_lazy("Verwijsindex"), VerwijsindexRegistration,
     {"flag": "parents_informed", "d1": "review_on", "d2": "withdrawn_on"}),
    ("consultation", gettext_lazy("Collegiale consultaties"), Consultation,
     {"t1": "consulted", "t2": "advice", "t3": "agreed_actions"}),
    ("vt_advice", gettext_lazy("Adviesvragen aan Veilig Thuis"), VeiligThuisAdvice,
     {"t1": "adviser", "t2": "advice", "flag": "anonymous"}),
    ("conversation", gettext_lazy("Gesprekken en contact met ouders en/of leerling"),
     Conversation, {"t1": "kind", "t2": "discussed", "t3": "agreements",
                    "t4": "not_held_explanation", "t5": "not_held_reason", "flag": "held"}),
    ("sot_discussion", gettext_lazy("Besprekingen in het SOT"), SotDiscussion,
     {"t1": "nature_severity", "t2": "agreed_approach", "n1": "meeting_id",
      "d1": "meeting__held_on", "flag": "doubt"}),
    # R32: shared working notes; listed only when the case has one.
    ("note", gettext_lazy("Aantekeningen"), CaseNote, {"t1": "text"}),
    # R39: the parents' own words, shown apart from the school's records.
    ("parent_statement", gettext_lazy("Verklaringen van ouders"), ParentStatement,
     {"t1": "given_by_name", "t2": "relation", "t3": "statement", "t4": "received_via"}),
]
_VARIABLE_COLUMNS = [("t1", TextField), ("t2", TextField), ("t3", TextField),
                     ("t4", TextField), ("t5", TextField), ("flag", BooleanField),
                     ("d1", DateField), ("d2", DateField), ("n1", BigIntegerField)]


def _record_rows(case: Case) -> list[dict]:
    """One row per step record of the case, all types in one UNION ALL query."""
    parts = []
    for key, _title, model, columns in _RECORD_SECTIONS:
        annotations = {
            "c_kind": Value(key, output_field=TextField()), "c_pk": F("pk"),
            "c_step": F("step"), "c_on": F("occurred_on"), "c_created": F("created_at"),
            "c_first": F("author__first_name"), "c_last": F("author__last_name"),
            "c_username": F("author__username"),
        }
        for column, field_class in _VARIABLE_COLUMNS:
            source = columns.get(column)
            # A typed NULL keeps the column types aligned across the union (PostgreSQL).
            annotations[column] = F(source) if source else Cast(Value(None), field_class())
        parts.append(model.objects.filter(case_id=case.pk).order_by()
                     .annotate(**annotations).values(*annotations))
    union = parts[0].union(*parts[1:], all=True).order_by("c_on", "c_created", "c_pk")
    return list(union)


def _summary(case: Case, row: dict) -> SimpleNamespace:
    kind = row["c_kind"]
    item = SimpleNamespace(
        kind=kind, pk=row["c_pk"], occurred_on=row["c_on"], step_label=Step(row["c_step"]).label,
        author_name=f"{row['c_first']} {row['c_last']}".strip() or row["c_username"])
    if kind == "verwijsindex":
        item.parents_informed, item.review_on, item.withdrawn_on = (
            row["flag"], row["d1"], row["d2"])
        item.detail_url = _url("cases:vir_detail", case.pk, item.pk)
    elif kind == "consultation":
        item.consulted, item.advice, item.agreed_actions = row["t1"], row["t2"], row["t3"]
        item.detail_url = _url("cases:consultation_detail", case.pk, item.pk)
    elif kind == "vt_advice":
        item.adviser, item.advice, item.anonymous = row["t1"], row["t2"], row["flag"]
        item.detail_url = _url("cases:vt_advice_detail", case.pk, item.pk)
    elif kind == "conversation":
        item.kind_label = ConversationKind(row["t1"]).label
        item.discussed, item.agreements, item.held = row["t2"], row["t3"], row["flag"]
        item.not_held_explanation = row["t4"]
        item.not_held_reason = NotHeldReason(row["t5"]).label if row["t5"] else ""
        item.detail_url = _url("cases:conversation_detail" if row["t1"] == ConversationKind.STEP3
                               else "cases:parent_contact_detail", case.pk, item.pk)
    elif kind == "sot_discussion":
        item.nature_severity, item.agreed_approach = row["t1"], row["t2"]
        item.meeting_held_on, item.doubt = row["d1"], row["flag"]
        item.detail_url = _url("cases:sot_meeting_detail", row["n1"])
    elif kind == "note":
        item.text = row["t1"]
        item.detail_url = _url("cases:note_detail", case.pk, item.pk)
    elif kind == "parent_statement":
        item.given_by, item.relation, item.statement = row["t1"], row["t2"], row["t3"]
        item.received_via = StatementChannel(row["t4"]).label if row["t4"] else ""
        item.detail_url = _url("cases:parent_statement_detail", case.pk, item.pk)
    return item


def _records(case: Case) -> list[dict]:
    """The case's step records as summary lists per type (one query for all types)."""
    by_kind: dict[str, list] = {key: [] for key, *_rest in _RECORD_SECTIONS}
    for row in _record_rows(case):
        by_kind[row["c_kind"]].append(_summary(case, row))
    # R16: doubt marked in the SOT, and whether Veilig Thuis was consulted on or after that day.
    advice_days = [a.occurred_on for a in by_kind["vt_advice"]]
    for item in by_kind["sot_discussion"]:
        item.vt_advice_after = item.doubt and any(day >= item.occurred_on for day in advice_days)
    out = []
    for key, title, _model, _columns in _RECORD_SECTIONS:
        if key == "verwijsindex" and not by_kind[key] and not case.school.verwijsindex_enabled:
            continue  # R45: only where the school uses the Verwijsindex
        if key == "note" and not by_kind[key]:
            continue
        out.append({"key": key, "title": title, "items": by_kind[key]})
    return out


def _detail_forms(case: Case, perms: set[str], bound: dict | None = None) -> dict:
    bound = bound or {}
    version = {"lock_version": case.lock_version}
    out: dict = {}
    if "advance_case" not in perms:
        return out
    if case.is_open:
        if FORWARD[Step(case.step)] is not None:
            out["forward"] = bound.get("forward") or forms.MoveForwardForm(
                initial=version, prefix="verder")
        if case.step > Step.SIGNALEN:
            out["back"] = bound.get("back") or forms.MoveBackForm(
                initial={**version, "target": case.step - 1}, prefix="terug",
                current_step=case.step)
        out["close"] = bound.get("close") or forms.CloseForm(initial=version, prefix="afsluiten")
    else:
        out["reopen"] = bound.get("reopen") or forms.ReopenForm(initial=version,
                                                                prefix="heropenen")
    return out


def _case_content(case: Case) -> str:
    """The case's signals and step records, rendered (``cases/_case_content.html``)."""
    signals = case_signals(case)
    for signal in signals:
        signal.detail_url = _url("signals:detail", signal.pk)
    return render_to_string("cases/_case_content.html",
                            {"case": case, "signals": signals, "records": _records(case)})


def _sot_doubt_open(case: Case, perms: set[str]) -> bool:
    """R16: whether to prompt this viewer to consult Veilig Thuis: doubt was marked in an SOT
    weighing of the open case and no Veilig Thuis advice was recorded on or after that day.
    Only for those who may record it; one query."""
    if not case.is_open or "add_record" not in perms:
        return False
    later_advice = VeiligThuisAdvice.objects.filter(case_id=case.pk,
                                                    occurred_on__gte=OuterRef("occurred_on"))
    return (SotDiscussion.objects.filter(case_id=case.pk, doubt=True)
            .filter(~Exists(later_advice)).exists())


def _detail_context(request, case: Case, perms: set[str], bound: dict | None) -> dict:
    user = request.user
    action_forms = _detail_forms(case, perms, bound)
    forward_target = FORWARD[Step(case.step)] if case.is_open else None
    forward_blockers = (blocking_reasons(case, forward_target, user, perms=perms)
                        if "forward" in action_forms else [])
    return {
        "case": case,
        "perms": perms,
        "show_access_log": "view_access_log" in perms,
        "steps": _step_bar(case),
        "record_actions": _record_actions(case, perms),
        "sot_doubt": _sot_doubt_open(case, perms),
        "forward_target": forward_target,
        "forward_label": _step_name(forward_target) if forward_target else "",
        "forward_blockers": forward_blockers,
        "forms": action_forms,
        "open_panel": next(iter(bound or {}), ""),
        # R47: the school's local contacts (one query; a change of a contact changes the
        # school's directory token, part of the cached page's key).
        "contacts": school_contacts([case.school_id]),
    }


def _render_detail(request, case: Case, perms: set[str] | None = None, *,
                   bound: dict | None = None, status: int = 200):
    """The case page. Unbound (a plain GET), the page is the same for this viewer until the
    case's content changes: it comes from the fragment cache, with this request's CSRF token
    and the siblings' open cases (other schools' content) filled in. A refused form is always
    rendered fresh, with what the user typed."""
    user = request.user
    log_access(user=user, obj=case, action=AccessAction.VIEW)
    siblings = sibling_cases(case, cases_visible_to(user)) if case.pupil.family_id else []
    siblings_html = (render_to_string("cases/_case_siblings.html", {"siblings": siblings},
                                      request=request) if siblings else "")
    scope = functools.cache(lambda: fragments.case_scope(case, hour=True))  # one query
    # The signals and records: the same for every viewer, kept once per case.
    case_content = fragments.cached("case-content", scope, lambda: _case_content(case))
    if bound:
        page = render_to_string("cases/_case_page.html", {
            **_detail_context(request, case, perms, bound), "siblings_html": siblings_html,
            "case_content": case_content}, request=request)
    else:
        def build():
            full = case  # the case page's own GET preloads only the pupil: load the rest
            if "owner" not in case._state.fields_cache:
                full = Case.objects.select_related(*CASE_RELATED).get(pk=case.pk)
            context = _detail_context(request, full, perms or case_permissions(user, full),
                                      None)
            return fragments.render_with_placeholders(
                "cases/_case_page.html", context, request,
                slots=("siblings_html", "case_content"))

        page = fragments.fill(
            fragments.cached("case-page", lambda: (fragments.viewer(user), *scope()), build),
            request, siblings_html=siblings_html, case_content=case_content)
    return render(request, "cases/case_detail.html", {"case": case, "page": page},
                  status=status)


@login_required
@require_GET
def case_detail(request, pk: int):
    # Only the pupil: a page served from the fragment cache needs nothing else of the case.
    return _render_detail(request, case_get_for_user(request.user, pk, related=("pupil",)))


def _case_for_action(request, pk: int, perm: str = "advance_case"):
    case = case_get_for_user(request.user, pk)
    perms = case_permissions(request.user, case)
    if perm not in perms:
        raise PermissionDenied
    return case, perms


def _check_version(case_pk: int, seen_version: int) -> None:
    """Raise ``EditConflict`` when the case changed since the user loaded the page.

    Runs inside the caller's transaction with the row locked, so nothing can slip in
    between this check and the workflow call.
    """
    current = Case.objects.select_for_update().get(pk=case_pk)
    if current.lock_version != seen_version:
        raise EditConflict(current)


_PREFIXES = {"forward": "verder", "back": "terug", "close": "afsluiten", "reopen": "heropenen"}


def _step_action(request, pk: int, key: str, form_class, act, form_kwargs=None):
    """Shared flow of the four step actions: bind, check the version, act, or re-render.

    A stale ``lock_version`` (someone else moved the case meanwhile) re-renders the page
    with the current case, a conflict message and the user's input (HTTP 409).
    """
    case, perms = _case_for_action(request, pk)
    prefix = _PREFIXES[key]
    form = form_class(request.POST, prefix=prefix, **(form_kwargs(case) if form_kwargs else {}))
    if form.is_valid():
        try:
            with transaction.atomic():
                _check_version(case.pk, form.cleaned_data["lock_version"])
                act(case, form.cleaned_data)
        except EditConflict:
            messages.error(request, CONFLICT_MESSAGE)
            case = case_get_for_user(request.user, pk)
            perms = case_permissions(request.user, case)
            data = request.POST.copy()
            data[f"{prefix}-lock_version"] = str(case.lock_version)
            form = form_class(data, prefix=prefix,
                              **(form_kwargs(case) if form_kwargs else {}))
            form.is_valid()
            return _render_detail(request, case, perms, bound={key: form}, status=409)
        except TransitionRefused as exc:
            for reason in exc.reasons:
                form.add_error(None, reason)
        else:
            return redirect("cases:detail", case.pk)
    return _render_detail(request, case, perms, bound={key: form})


@login_required
@require_POST
def case_move_forward(request, pk: int):
    """Move the case to the next Meldcode step (guards in ``cases.workflow``)."""
    def act(case, data):
        target = FORWARD[Step(case.step)]
        if target is None:
            raise TransitionRefused([_("Dit is de laatste fase; sluit het dossier af.")])
        move_case(case_id=case.pk, target=target, actor=request.user, reason=data["reason"])
        messages.success(request, _("Het dossier staat nu in %(step)s.") % {
            "step": _step_name(target)})
    return _step_action(request, pk, "forward", forms.MoveForwardForm, act)


@login_required
@require_POST
def case_move_back(request, pk: int):
    """Go back to an earlier step, with a reason."""
    def act(case, data):
        move_case(case_id=case.pk, target=Step(data["target"]), actor=request.user,
                  reason=data["reason"])
        messages.success(request, _("Het dossier staat weer in %(step)s.") % {
            "step": _step_name(data["target"])})
    return _step_action(request, pk, "back", forms.MoveBackForm, act,
                        form_kwargs=lambda case: {"current_step": case.step})


@login_required
@require_POST
def case_close(request, pk: int):
    """Close the case at any step with a reason and an explanation (R3)."""
    def act(case, data):
        close_case(case_id=case.pk, actor=request.user, close_reason=data["close_reason"],
                   explanation=data["explanation"])
        messages.success(request, _("Het dossier is afgesloten."))
    return _step_action(request, pk, "close", forms.CloseForm, act)


@login_required
@require_POST
def case_reopen(request, pk: int):
    """Reopen a closed case as a new cycle; earlier cycles stay on file (R3)."""
    def act(case, data):
        reopen_case(case_id=case.pk, actor=request.user, reason=data["reason"])
        messages.success(request, _("Het dossier is heropend in een nieuwe ronde."))
    return _step_action(request, pk, "reopen", forms.ReopenForm, act)


def _render_access(request, case: Case, form=None, status: int = 200):
    staff = _staff_and_grants(case)
    if form is None:
        form = forms.GrantAccessForm(
            prefix="toegang", staff=[u for u in staff if u.is_member and u.pk != request.user.pk])
    return render(request, "cases/case_access.html", {
        "case": case, "invited": [u for u in staff if u.can_view], "form": form,
        "grant_events": case.grant_events.select_related("user", "actor")[:100],
        "show_access_log": "view_access_log" in case_permissions(request.user, case)},
        status=status)


@login_required
@require_GET
def case_access(request, pk: int):
    """Who is invited into the case; invite a staff member or withdraw an invitation."""
    case, _perms = _case_for_action(request, pk)
    return _render_access(request, case)


@login_required
@require_POST
def case_grant(request, pk: int):
    """Invite a staff member of the school into this case (read, or contribute)."""
    case, _perms = _case_for_action(request, pk)
    staff = [u for u in _staff_and_grants(case) if u.is_member and u.pk != request.user.pk]
    form = forms.GrantAccessForm(request.POST, prefix="toegang", staff=staff)
    if form.is_valid():
        invitee = form.cleaned_data["user"]
        try:
            case_grant_access(case=case, user=invitee, level=form.cleaned_data["level"],
                              actor=request.user)
        except ServiceError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("%(name)s heeft nu toegang tot dit dossier.") % {
                "name": forms.user_label(invitee)})
            return redirect("cases:access", case.pk)
    return _render_access(request, case, form)


@login_required
@require_POST
def case_revoke(request, pk: int, user_id: int):
    """Withdraw an invitation into this case."""
    case, _perms = _case_for_action(request, pk)
    invited = CaseUserObjectPermission.objects.filter(content_object_id=case.pk,
                                                      user_id=OuterRef("pk"))
    invitee = get_object_or_404(get_user_model().objects.filter(Exists(invited)), pk=user_id)
    case_revoke_access(case=case, user=invitee, actor=request.user)
    messages.success(request, _("De toegang van %(name)s tot dit dossier is ingetrokken.") % {
        "name": forms.user_label(invitee)})
    return redirect("cases:access", case.pk)


# --- Timeline, change history, access log ------------------------------------------------

@login_required
@require_GET
def case_timeline_view(request, pk: int):
    """Every signal, record and step move of the case in date order (one view)."""
    case = case_get_for_user(request.user, pk)
    log_access(user=request.user, obj=case, action=AccessAction.VIEW)
    return render(request, "cases/case_timeline.html", {
        "case": case, "entries": case_timeline(case),
        "show_access_log": "view_access_log" in case_permissions(request.user, case)})


@login_required
@require_GET
def case_history_view(request, pk: int):
    """Who changed what on the case and its linked data ("Wijzigingen")."""
    case = case_get_for_user(request.user, pk)
    # Permission first (404 above), then a fresh 2FA code (issue 7).
    if (stepup_redirect := require_stepup(request)) is not None:
        return stepup_redirect
    log_access(user=request.user, obj=case, action=AccessAction.HISTORY)
    return render(request, "cases/case_history.html", {
        "case": case, "entries": case_history(case),
        "show_access_log": "view_access_log" in case_permissions(request.user, case)})


@login_required
@require_GET
def case_access_log(request, pk: int):
    """Who opened the case and its data, and when (veiligheidscoördinator and IB'er)."""
    case, _perms = _case_for_action(request, pk, perm="view_access_log")
    # Pages without a COUNT(*): one row more than a page tells whether there is a next one.
    # Capped: an offset past the database's integer range is an error, not a page.
    number = min(max(_int_param(request.GET.get("pagina")) or 1, 1), 100_000)
    start = (number - 1) * PAGE_SIZE
    # The case's own rows, and the overviews that showed it (one row per overview, found by
    # the id in its list).
    shown_in = Q(object_type=Case._meta.label_lower, listed_ids__has_id=case.pk)
    rows = list(AccessLog.objects.filter(Q(case_id=case.pk) | shown_in).select_related("user")
                .order_by("-at", "-pk")[start:start + PAGE_SIZE + 1])
    has_next, rows = len(rows) > PAGE_SIZE, rows[:PAGE_SIZE]
    for row in rows:
        if row.object_id is None:
            row.object_id = case.pk  # an overview's row: what concerns this page is the case
        try:
            row.object_label = apps.get_model(row.object_type)._meta.verbose_name
        except (LookupError, ValueError):
            row.object_label = row.object_type
    return render(request, "cases/case_access_log.html", {
        "case": case, "rows": rows, "number": number, "has_next": has_next,
        "has_previous": number > 1, "show_access_log": True})


urlpatterns = [
    path("", case_list, name="list"),
    path("openen/", case_open_view, name="open"),
    path("<int:pk>/", case_detail, name="detail"),
    path("<int:pk>/verder/", case_move_forward, name="move_forward"),
    path("<int:pk>/terug/", case_move_back, name="move_back"),
    path("<int:pk>/afsluiten/", case_close, name="close"),
    path("<int:pk>/heropenen/", case_reopen, name="reopen"),
    path("<int:pk>/toegang/", case_access, name="access"),
    path("<int:pk>/toegang/uitnodigen/", case_grant, name="grant_access"),
    path("<int:pk>/toegang/<int:user_id>/intrekken/", case_revoke, name="revoke_access"),
    path("<int:pk>/tijdlijn/", case_timeline_view, name="timeline"),
    path("<int:pk>/wijzigingen/", case_history_view, name="history"),
    path("<int:pk>/inzage/", case_access_log, name="access_log"),
]
