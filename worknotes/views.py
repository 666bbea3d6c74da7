"""Pages of the private working notes (R32): the owner's own notes on one case.

Access, on every request: the case must be visible to the user (``case_get_for_user``, 404
otherwise), its school must have the notes switched on (404 otherwise: the feature does not
exist there), and a note is found only among the user's *own* notes (404 for anyone else's,
whatever their role: directors, IB'ers and superusers included). Sharing also needs
``add_record`` on the case (403), since it adds a record to the file.

Notes are never cached, never on the timeline, in an export, a search or an e-mail; the access
log records that the page was read (the case) and that a note was made, shared or deleted
(ids only).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from cases.models import AccessAction, Case
from cases.selectors import case_get_for_user, case_permissions
from cases.services import EditConflict, ServiceError, log_access

from . import services
from .forms import ConfirmForm, WorkNoteForm
from .models import WorkNote
from .selectors import expires_at, work_notes_of


def _case(request, case_pk: int) -> Case:
    case = case_get_for_user(request.user, case_pk)
    if not case.school.work_notes_enabled:
        raise Http404
    return case


def _own_note(request, case: Case, pk: int) -> WorkNote:
    note = get_object_or_404(WorkNote, pk=pk, case_id=case.pk, owner_id=request.user.pk)
    note.case = case
    note.expires_at = expires_at(note, case)
    return note


def _list_url(case: Case) -> str:
    return reverse("worknotes:list", args=[case.pk])


def _context(case: Case, **extra) -> dict:
    return {"case": case, "case_url": reverse("cases:detail", args=[case.pk]),
            "list_url": _list_url(case), **extra}


@login_required
@require_http_methods(["GET", "POST"])
def note_list(request, case_pk: int):
    """The user's own notes on the case, and a form to add one."""
    case = _case(request, case_pk)
    form = WorkNoteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.work_note_create(case=case, owner=request.user,
                                      text=form.cleaned_data["text"])
        except ServiceError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("De werkaantekening is opgeslagen. Alleen u ziet haar."))
            return redirect(_list_url(case))
    log_access(user=request.user, obj=case, action=AccessAction.VIEW)
    notes = work_notes_of(case=case, owner=request.user)
    can_share = case.is_open and "add_record" in case_permissions(request.user, case)
    return render(request, "worknotes/note_list.html",
                  _context(case, notes=notes, form=form, can_share=can_share),
                  status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def note_edit(request, case_pk: int, pk: int):
    case = _case(request, case_pk)
    note = _own_note(request, case, pk)
    conflict = None
    form = WorkNoteForm(request.POST if request.method == "POST" else None, note=note)
    if request.method == "POST" and form.is_valid():
        try:
            services.work_note_update(note=note, owner=request.user,
                                      text=form.cleaned_data["text"],
                                      base_version=form.cleaned_data["lock_version"])
        except EditConflict as exc:
            # Keep what the user typed; show what is saved now; a next save is based on it.
            conflict = exc.current
            data = form.data.copy()
            data["lock_version"] = str(conflict.lock_version)
            form.data = data
        except ServiceError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("De wijziging is opgeslagen."))
            return redirect(_list_url(case))
    status = 409 if conflict else (400 if form.errors else 200)
    return render(request, "worknotes/note_edit.html",
                  _context(case, note=note, form=form, conflict=conflict), status=status)


@login_required
@require_http_methods(["GET", "POST"])
def note_share(request, case_pk: int, pk: int):
    """Confirm, then turn the note into an "aantekening" in the file (parents may see it)."""
    case = _case(request, case_pk)
    note = _own_note(request, case, pk)
    if "add_record" not in case_permissions(request.user, case):
        raise PermissionDenied
    form = ConfirmForm(request.POST if request.method == "POST" else None, note=note)
    if request.method == "POST" and form.is_valid():
        try:
            services.work_note_share(note=note, owner=request.user,
                                     base_version=form.cleaned_data["lock_version"])
        except EditConflict:
            messages.error(request, _("Deze werkaantekening is intussen gewijzigd (in een ander "
                                      "venster of op een ander apparaat). Lees de tekst "
                                      "opnieuw en bevestig daarna."))
            return redirect("worknotes:share", case_pk=case.pk, pk=note.pk)
        except ServiceError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("De werkaantekening is gedeeld: ze staat nu als "
                                        "aantekening in het dossier."))
            return redirect("cases:detail", pk=case.pk)
    return render(request, "worknotes/note_share.html", _context(case, note=note, form=form),
                  status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def note_delete(request, case_pk: int, pk: int):
    case = _case(request, case_pk)
    note = _own_note(request, case, pk)
    form = ConfirmForm(request.POST if request.method == "POST" else None, note=note)
    if request.method == "POST" and form.is_valid():
        services.work_note_delete(note=note, owner=request.user)
        messages.success(request, _("De werkaantekening is verwijderd."))
        return redirect(_list_url(case))
    return render(request, "worknotes/note_delete.html", _context(case, note=note, form=form),
                  status=400 if form.errors else 200)
