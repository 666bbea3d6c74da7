"""Step records of a case: Verwijsindex registration (step 1) with its matches and regievoerder
(R44), collegial consultation and Veilig Thuis advice (step 2, VT advice at any step),
conversation with parents and/or pupil (step 3), contact with parents (any step), parents' own
statements (R39, any step) and shared working notes (R32).

Access: the case must be visible (``case_get_for_user``: 404 otherwise) and the user must hold
``add_record`` on it (403 otherwise) to add or edit; anyone who sees the case may read a record.
Records are added to and edited in open cases only; a parents' statement also in a closed
case (``RecordType.on_closed_case``, see ``records.parent_statement_check``).
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from signals.validators import EXTENSIONS

from . import record_forms as forms
from .models import (AccessAction, Case, CaseNote, Consultation, Conversation, ConversationKind,
                     ParentStatement, VeiligThuisAdvice, VerwijsindexMatch,
                     VerwijsindexRegistration, organisations_text)
from .records import (record_create, record_update, vir_match_create, vir_match_update,
                      vir_withdraw)
from .selectors import case_get_for_user, case_permissions
from .services import EditConflict, ServiceError, insert_access_rows, log_access


@dataclass(frozen=True)
class RecordType:
    name: str  # URL name prefix: cases:<name>_add, _edit, _detail
    slug: str  # URL segment (Dutch, no content)
    model: type
    form_class: type
    title: str
    kind: str = ""
    verwijsindex: bool = False
    template: str = "cases/records/record_form.html"
    extra_display: tuple[str, ...] = field(default=())
    # False: no "add" page; records of this type are made elsewhere (a shared working note).
    addable: bool = True
    # The fields shown on the detail page, when not the form's fields (+ ``extra_display``).
    display: tuple[str, ...] = field(default=())
    # May be added and corrected when the case is closed (R39).
    on_closed_case: bool = False

    def queryset(self, case: Case):
        qs = self.model.objects.filter(case=case).select_related("author")
        return qs.filter(kind=self.kind) if self.kind else qs

    def display_fields(self) -> list[str]:
        if self.display:
            return list(self.display)
        return [*self.form_class._meta.fields, *self.extra_display]


RECORD_TYPES: dict[str, RecordType] = {rt.name: rt for rt in [
    RecordType("vir", "verwijsindex", VerwijsindexRegistration, forms.VerwijsindexForm,
               gettext_lazy("Registratie in de Verwijsindex"), verwijsindex=True,
               template="cases/records/record_form.html",
               extra_display=("review_on", "withdrawn_on")),
    RecordType("consultation", "consultatie", Consultation, forms.ConsultationForm,
               gettext_lazy("Collegiale consultatie")),
    RecordType("vt_advice", "veilig-thuis-advies", VeiligThuisAdvice, forms.VeiligThuisAdviceForm,
               gettext_lazy("Adviesvraag aan Veilig Thuis")),
    RecordType("conversation", "gesprek", Conversation, forms.ConversationForm,
               gettext_lazy("Gesprek met ouders en/of leerling"), kind=ConversationKind.STEP3,
               template="cases/records/conversation_form.html"),
    RecordType("parent_contact", "contact-ouders", Conversation, forms.ParentContactForm,
               gettext_lazy("Bespreken met ouders"), kind=ConversationKind.PARENT_CONTACT,
               template="cases/records/conversation_form.html"),
    # R32: a shared working note; made only by sharing (worknotes), so no add page.
    RecordType("note", "aantekening", CaseNote, forms.CaseNoteForm,
               gettext_lazy("Aantekening"), addable=False),
    RecordType("parent_statement", "verklaring-ouders", ParentStatement,
               forms.ParentStatementForm, gettext_lazy("Verklaring van ouders"),
               on_closed_case=True,
               display=("occurred_on", "given_by_name", "relation", "had_authority",
                        "received_via", "responds_to", "statement", "file_name")),
]}


def case_url(case: Case) -> str:
    """The case page (``cases.views``)."""
    return reverse("cases:detail", args=[case.pk])


def record_url(record) -> str | None:
    """The page of a step record, for links from the timeline; None for other objects.
    Takes ids only from the record (no query)."""
    from .models import SotDiscussion

    if isinstance(record, SotDiscussion):
        return reverse("cases:sot_meeting_detail", args=[record.meeting_id])
    if isinstance(record, VerwijsindexMatch):
        return (reverse("cases:vir_detail", args=[record.case_id, record.registration_id])
                + f"#match-{record.pk}")
    for rt in RECORD_TYPES.values():
        if isinstance(record, rt.model) and (not rt.kind or record.kind == rt.kind):
            return reverse(f"cases:{rt.name}_detail", args=[record.case_id, record.pk])
    return None


def record_values(record, names, form_class) -> list[dict]:
    """(label, value) rows of a record for display; booleans as Ja/Nee, choices by label."""
    rows = []
    base = form_class.base_fields
    for name in names:
        model_field = record._meta.get_field(name)
        label = base[name].label if name in base and base[name].label else model_field.verbose_name
        value = getattr(record, name)
        row = {"name": name, "label": capfirst(label), "value": value, "people": None}
        if name in ("participants", "external_attendees"):
            row["people"] = value or []
            row["value"] = forms.format_participants(value)
        elif isinstance(value, bool):
            row["value"] = _("Ja") if value else _("Nee")
        elif hasattr(value, "get_full_name"):
            row["value"] = value.get_full_name() or value.get_username()
        elif isinstance(value, datetime.date):
            row["value"] = date_format(value, "j F Y")
        elif model_field.choices:
            row["value"] = getattr(record, f"get_{name}_display")()
        if row["value"] in ("", None, []) and not isinstance(value, bool):
            continue
        rows.append(row)
    return rows


def _access(request, case_pk: int, rt: RecordType, *, write: bool) -> tuple[Case, set[str]]:
    case = case_get_for_user(request.user, case_pk)
    if rt.verwijsindex and not case.school.verwijsindex_enabled:
        raise Http404  # R45: the Verwijsindex is switched on per school
    perms = case_permissions(request.user, case)
    if write and "add_record" not in perms:
        raise PermissionDenied
    return case, perms


def closed_response(request, case: Case):
    return render(request, "cases/records/closed.html",
                  {"case": case, "case_url": case_url(case)}, status=403)


def _context(rt, case, form, **extra):
    return {"rt": rt, "case": case, "form": form, "case_url": case_url(case),
            "title": rt.title, **extra}


@login_required
def record_add(request, case_pk: int, type_name: str):
    """Add a step record to an open case, at the case's current step."""
    rt = RECORD_TYPES[type_name]
    case, _perms = _access(request, case_pk, rt, write=True)
    if not case.is_open and not rt.on_closed_case:
        return closed_response(request, case)
    if request.method == "POST":
        form = rt.form_class(request.POST, request.FILES, case=case)
    else:
        form = rt.form_class(case=case)
    if request.method == "POST" and form.is_valid():
        try:
            record_create(case=case, record=form.save(commit=False), actor=request.user)
        except ServiceError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("%(what)s is vastgelegd.") % {"what": rt.title})
            return redirect(case_url(case))
    return render(request, rt.template, _context(rt, case, form, adding=True))


@login_required
def record_edit(request, case_pk: int, pk: int, type_name: str):
    """Change a saved record: with a reason (R31) and conflict detection (lock_version)."""
    rt = RECORD_TYPES[type_name]
    case, _perms = _access(request, case_pk, rt, write=True)
    record = get_object_or_404(rt.queryset(case), pk=pk)
    record.case = case
    if not case.is_open and not rt.on_closed_case:
        return closed_response(request, case)
    conflict = None
    if request.method == "POST":
        form = rt.form_class(request.POST, instance=record, case=case)
        if form.is_valid():
            try:
                record_update(record=form.save(commit=False), actor=request.user,
                              base_version=form.cleaned_data["lock_version"],
                              reason=form.cleaned_data.get("change_reason", ""))
            except EditConflict as exc:
                conflict = _conflict(request, form, exc.current, rt, case)
            except ServiceError as exc:
                form.add_error(None, exc.messages)
            else:
                messages.success(request, _("De wijziging is opgeslagen."))
                return redirect(case_url(case))
    else:
        form = rt.form_class(instance=record, case=case)
        log_access(user=request.user, obj=record, case=case)
    return render(request, rt.template, _context(rt, case, form, record=record, adding=False,
                                                 conflict=conflict),
                  status=409 if conflict else 200)


def _conflict(request, form, current, rt, case) -> dict:
    """Keep the user's input, show what is saved now, and base a next save on that version."""
    log_access(user=request.user, obj=current, case=case)
    data = form.data.copy()
    data["lock_version"] = str(current.lock_version)
    form.data = data
    return {"values": record_values(current, rt.display_fields(), rt.form_class),
            "author": current.history.select_related("history_user").first()}


@login_required
def record_detail(request, case_pk: int, pk: int, type_name: str):
    """One record with its versions (who changed it, when, why). Logged as a read."""
    rt = RECORD_TYPES[type_name]
    case, perms = _access(request, case_pk, rt, write=False)
    record = get_object_or_404(rt.queryset(case), pk=pk)
    matches = _vir_matches(record) if rt.name == "vir" else []
    # The record and every match shown with it: one insert (ids only).
    insert_access_rows([(request.user.pk, case.school_id, case.pk, obj._meta.label_lower,
                         obj.pk, AccessAction.VIEW) for obj in [record, *matches]])
    versions = list(record.history.select_related("history_user").order_by("-history_date"))
    context = {"rt": rt, "case": case, "record": record, "case_url": case_url(case),
               "values": record_values(record, rt.display_fields(), rt.form_class),
               "versions": versions, "edit_url": None, "matches": matches,
               "can_add_record": "add_record" in perms}
    if isinstance(record, ParentStatement) and record.file:
        context["file_url"] = reverse("cases:parent_statement_file", args=[case.pk, record.pk])
    if "add_record" in perms and (case.is_open or rt.on_closed_case):
        context["edit_url"] = reverse(f"cases:{rt.name}_edit", args=[case.pk, record.pk])
    if (rt.name == "vir" and "add_record" in perms and record.withdrawn_on is None):
        context["withdraw_form"] = forms.VerwijsindexWithdrawForm(registration=record)
    return render(request, "cases/records/record_detail.html", context)


def _vir_matches(registration) -> list[VerwijsindexMatch]:
    """The registration's matches for display, oldest first; one query."""
    matches = list(VerwijsindexMatch.objects.filter(registration_id=registration.pk)
                   .select_related("author", "lead_staff"))
    for m in matches:
        m.organisations_display = organisations_text(m.organisations, sep="\n")
    return matches


@login_required
def parent_statement_file(request, case_pk: int, pk: int):
    """The scanned letter of a parents' statement, to anyone who may read the case; logged as
    a download (R39)."""
    rt = RECORD_TYPES["parent_statement"]
    case, _perms = _access(request, case_pk, rt, write=False)
    record = get_object_or_404(rt.queryset(case), pk=pk)
    if not record.file:
        raise Http404
    try:
        handle = default_storage.open(record.file.name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    log_access(user=request.user, obj=record, case=case, action=AccessAction.DOWNLOAD)
    stem = os.path.splitext(record.file_name)[0][:100] or "verklaring"
    response = FileResponse(handle, as_attachment=True,
                            filename=stem + EXTENSIONS.get(record.file_type, ""),
                            content_type=record.file_type or "application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def vir_withdraw_view(request, case_pk: int, pk: int):
    """Record that a Verwijsindex signal was withdrawn (R44); also after the case is closed."""
    rt = RECORD_TYPES["vir"]
    case, perms = _access(request, case_pk, rt, write=True)
    record = get_object_or_404(rt.queryset(case), pk=pk)
    form = forms.VerwijsindexWithdrawForm(request.POST if request.method == "POST" else None,
                                          registration=record)
    if request.method == "POST" and form.is_valid():
        try:
            vir_withdraw(registration=record, actor=request.user,
                         withdrawn_on=form.cleaned_data["withdrawn_on"],
                         base_version=form.cleaned_data["lock_version"])
        except EditConflict:
            messages.error(request, _("Iemand anders heeft deze registratie intussen gewijzigd. "
                                      "Bekijk de huidige gegevens en probeer het opnieuw."))
            return redirect("cases:vir_detail", case_pk=case.pk, pk=record.pk)
        except ServiceError as exc:
            form.add_error("withdrawn_on", exc.messages)
        else:
            messages.success(request, _("De intrekking is vastgelegd."))
            return redirect("cases:vir_detail", case_pk=case.pk, pk=record.pk)
    return render(request, "cases/records/vir_withdraw.html",
                  {"case": case, "record": record, "form": form, "case_url": case_url(case)})



# --- R44: matches in the Verwijsindex and the regievoerder ------------------------------------


def _vir_registration(request, case_pk: int, pk: int):
    """The case (visible, Verwijsindex switched on: 404 otherwise; ``add_record``: 403
    otherwise) and its registration ``pk`` (404 when it is not this case's)."""
    rt = RECORD_TYPES["vir"]
    case, _perms = _access(request, case_pk, rt, write=True)
    registration = get_object_or_404(rt.queryset(case), pk=pk)
    registration.case = case
    return case, registration


def _match_context(case, registration, form, **extra) -> dict:
    return {"case": case, "record": registration, "form": form, "case_url": case_url(case),
            "registration_url": reverse("cases:vir_detail", args=[case.pk, registration.pk]),
            **extra}


@login_required
def vir_match_add(request, case_pk: int, pk: int):
    """Record a match on a Verwijsindex registration, and the regievoerder if already agreed.

    Not on a withdrawn registration (a clear message, no form); allowed on a closed case, as
    withdrawing is (``cases.records.vir_match_create``)."""
    case, registration = _vir_registration(request, case_pk, pk)
    if registration.withdrawn_on is not None:
        return render(request, "cases/records/vir_match_refused.html",
                      _match_context(case, registration, None), status=403)
    form = forms.VerwijsindexMatchForm(request.POST if request.method == "POST" else None,
                                       registration=registration)
    if request.method == "POST" and form.is_valid():
        try:
            vir_match_create(registration=registration, match=form.save(commit=False),
                             actor=request.user)
        except ServiceError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("De match is vastgelegd."))
            return redirect("cases:vir_detail", case_pk=case.pk, pk=registration.pk)
    elif request.method != "POST":
        # The form shows the registration's date: a read of it.
        log_access(user=request.user, obj=registration, case=case)
    return render(request, "cases/records/vir_match_form.html",
                  _match_context(case, registration, form, adding=True))


@login_required
def vir_match_edit(request, case_pk: int, pk: int, match_pk: int):
    """Fill in or correct the regievoerder (or the match itself), with conflict detection
    (``lock_version``); a correction needs a reason (R31)."""
    case, registration = _vir_registration(request, case_pk, pk)
    match = get_object_or_404(VerwijsindexMatch.objects.select_related("lead_staff"),
                              registration=registration, pk=match_pk)
    conflict = None
    if request.method == "POST":
        form = forms.VerwijsindexMatchForm(request.POST, instance=match,
                                           registration=registration)
        if form.is_valid():
            try:
                vir_match_update(match=form.save(commit=False), actor=request.user,
                                 base_version=form.cleaned_data["lock_version"],
                                 reason=form.cleaned_data.get("change_reason", ""))
            except EditConflict as exc:
                conflict = _match_conflict(request, form, exc.current, case)
            except ServiceError as exc:
                form.add_error(None, exc.messages)
            else:
                messages.success(request, _("De wijziging is opgeslagen."))
                return redirect(reverse("cases:vir_detail", args=[case.pk, registration.pk])
                                + f"#match-{match.pk}")
    else:
        form = forms.VerwijsindexMatchForm(instance=match, registration=registration)
        log_access(user=request.user, obj=match, case=case)
    return render(request, "cases/records/vir_match_form.html",
                  _match_context(case, registration, form, adding=False, match=match,
                                 conflict=conflict),
                  status=409 if conflict else 200)


def _match_conflict(request, form, current, case) -> dict:
    """Keep the user's input, show what is saved now, and base a next save on that version."""
    log_access(user=request.user, obj=current, case=case)
    data = form.data.copy()
    data["lock_version"] = str(current.lock_version)
    form.data = data
    names = ["notified_on", "organisations", "regie", "lead_staff", "lead_organisation",
             "lead_contact", "regie_agreed_on"]
    values = record_values(current, names, forms.VerwijsindexMatchForm)
    for row in values:
        if row["name"] == "organisations":
            row["value"] = organisations_text(current.organisations, sep="\n")
    return {"values": values,
            "author": current.history.select_related("history_user").first()}
