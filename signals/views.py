"""Signal pages: record, my signals, triage, detail, correct, acknowledge, attachment download.

Each view: resolve access (404 for signals the user may not see, 403 for pages the role may
not use) → bind the form → call a service → redirect or render.
"""

from __future__ import annotations

import os

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.db.models import Case as SqlCase
from django.db.models import Exists, IntegerField, OuterRef, Prefetch, Value, When
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cases.models import AccessAction, CaseSignal
from cases.selectors import cases_visible_to, signal_get_for_user, signals_visible_to
from cases.services import ServiceError, log_access, log_list_access
from schools.access import has_school_perm, school_ids_with_perm
from schools.models import School

from .forms import ChooseSchoolForm, SignalCorrectForm, SignalForm, pupil_formset
from .models import SignalAttachment, SignalPupil, SignalVersion
from .services import (VersionConflict, can_correct, signal_acknowledge, signal_correct,
                       signal_record)
from .validators import EXTENSIONS

PAGE_SIZE = 25


class SlicePage:
    """One page of a list without a COUNT query: fetch one row more to know if there is a next.

    Keeps list pages within their query budget (12) with room for the navigation's queries.
    """

    def __init__(self, queryset, number, size: int = PAGE_SIZE):
        try:
            # Capped: an offset past the database's integer range is an error, not a page.
            self.number = min(max(1, int(number or 1)), 100_000)
        except (TypeError, ValueError):
            self.number = 1
        start = (self.number - 1) * size
        rows = list(queryset[start:start + size + 1])
        self.object_list = rows[:size]
        self.has_next = len(rows) > size
        self.has_previous = self.number > 1
        self.has_other_pages = self.has_next or self.has_previous
        self.next_page_number = self.number + 1
        self.previous_page_number = self.number - 1

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)


def _reverse_or_none(name: str, *args) -> str | None:
    """A URL of another app that may not be built yet (``cases:open``)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _for_list(qs):
    """Preload what the signal lists show: pupils, recorder and whether a case holds it."""
    return (qs.select_related("school", "recorded_by")
            .annotate(in_case=Exists(CaseSignal.objects.filter(signal_id=OuterRef("pk"))))
            .prefetch_related(Prefetch(
                "pupil_links",
                queryset=SignalPupil.objects.select_related("pupil").order_by("role", "pk"))))


def _can_triage(user, signal) -> bool:
    # Staff-suspect signals bypass the school (domain.md §6): never triaged there.
    return (not signal.staff_suspect
            and has_school_perm(user, "signals.triage_signal", signal.school))


# --- recording ------------------------------------------------------------------------------

@login_required
def signal_create(request):
    """Record a signal. Staff with roles at several schools first choose the school."""
    school_ids = school_ids_with_perm(request.user, "signals.add_signal")
    if not school_ids:
        raise PermissionDenied
    schools = School.objects.filter(pk__in=school_ids).order_by("name")
    if len(school_ids) == 1:
        school = schools.get()
    elif request.GET.get("school"):
        chooser = ChooseSchoolForm(request.GET, schools=schools)
        if not chooser.is_valid():
            raise Http404
        school = chooser.cleaned_data["school"]
    else:
        return render(request, "signals/choose_school.html",
                      {"form": ChooseSchoolForm(schools=schools)})

    if request.method == "POST":
        form = SignalForm(request.POST, request.FILES)
        formset = pupil_formset(request.user, school, request.POST)
        valid = form.is_valid()
        valid = formset.is_valid() and valid
        if valid:
            data = form.cleaned_data
            try:
                signal = signal_record(
                    actor=request.user, school=school, observed_on=data["observed_on"],
                    category=data["category"], source=data["source"],
                    source_detail=data["source_detail"], facts=data["facts"],
                    child_words=data["child_words"], interpretation=data["interpretation"],
                    disclosure=data["disclosure"], acute_danger=data["acute_danger"],
                    staff_suspect=data["staff_suspect"], pupils=formset.chosen,
                    attachments=data["attachments"])
            except ServiceError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                _after_record_messages(request, signal)
                return redirect("signals:detail", signal.pk)
    else:
        form = SignalForm()
        formset = pupil_formset(request.user, school)
    return render(request, "signals/signal_form.html", {
        "form": form, "formset": formset, "school": school,
        "several_schools": len(school_ids) > 1,
        "files_dropped": bool(request.FILES) and request.method == "POST",
    })


def _after_record_messages(request, signal):
    if signal.staff_suspect:
        messages.warning(request, _(
            "Het signaal is vastgelegd en gaat naar het bestuur, niet naar de school. "
            "Informeer nu ook zelf direct het bevoegd gezag (het schoolbestuur): alleen de "
            "directeur inlichten is niet genoeg."))
    else:
        messages.success(request, _(
            "Het signaal is vastgelegd. De intern begeleider en de veiligheidscoördinator "
            "krijgen een melding."))
    if signal.acute_danger:
        messages.warning(request, _(
            "Acuut gevaar: bel direct 112 of Veilig Thuis (0800-2000) als dat nog niet is "
            "gebeurd."))
    if signal.is_honour_related:
        messages.warning(request, _(
            "Bij eergerelateerd geweld, meisjesbesnijdenis of huwelijksdwang wordt altijd een "
            "specialist geraadpleegd."))


# --- lists ----------------------------------------------------------------------------------

@login_required
def my_signals(request):
    """The signals the user recorded, with whether they have been picked up."""
    if not school_ids_with_perm(request.user, "signals.add_signal"):
        raise PermissionDenied
    qs = _for_list(signals_visible_to(request.user).filter(recorded_by=request.user)
                   ).order_by("-recorded_at", "-pk")
    page = SlicePage(qs, request.GET.get("pagina"))
    return render(request, "signals/my_signals.html", {"page": page})


@login_required
def triage(request):
    """The school's signals for the IB'er and veiligheidscoördinator: new ones first."""
    school_ids = school_ids_with_perm(request.user, "signals.triage_signal")
    if not school_ids:
        raise PermissionDenied
    only_new = request.GET.get("toon") == "nieuw"
    qs = signals_visible_to(request.user).filter(school_id__in=school_ids, staff_suspect=False)
    if only_new:
        qs = qs.filter(acknowledged_at__isnull=True)
    qs = _for_list(qs).annotate(
        pending=SqlCase(When(acknowledged_at__isnull=True, then=Value(0)), default=Value(1),
                      output_field=IntegerField())
    ).order_by("pending", "-recorded_at", "-pk")
    page = SlicePage(qs, request.GET.get("pagina"))
    log_list_access(user=request.user, objects=page)
    return render(request, "signals/triage.html", {
        "page": page, "only_new": only_new, "several_schools": len(school_ids) > 1})


# --- one signal -----------------------------------------------------------------------------

def _interpretation_authors(versions: list[SignalVersion]) -> dict[int, object]:
    """Per version number: who wrote its interpretation (the author of the version in which
    that text last changed), so a colleague's typo fix does not claim someone's view (R29)."""
    authors, previous = {}, None
    for version in versions:
        if previous is None or version.interpretation != previous.interpretation:
            author = version.author
        authors[version.number] = author
        previous = version
    return authors


@login_required
def signal_detail(request, pk: int):
    signal = signal_get_for_user(request.user, pk)
    versions = list(signal.versions.select_related("author").order_by("number"))
    authors = _interpretation_authors(versions)
    for version in versions:
        version.interpretation_author = authors[version.number]
    pupil_links = list(signal.pupil_links.select_related("pupil__school_class")
                       .order_by("role", "pupil__last_name", "pupil__first_name"))
    attachments = list(signal.attachments.all())
    in_case = CaseSignal.objects.filter(signal=signal).exists()
    cases = list(cases_visible_to(request.user).filter(signal_links__signal=signal)) if in_case \
        else []
    case_detail_urls = [(case, _reverse_or_none("cases:detail", case.pk)) for case in cases]
    log_access(user=request.user, obj=signal, action=AccessAction.VIEW)

    can_triage = _can_triage(request.user, signal)
    open_case_url = None
    if can_triage and has_school_perm(request.user, "cases.open_case", signal.school):
        base = _reverse_or_none("cases:open")
        open_case_url = f"{base}?signal={signal.pk}" if base else None
    return render(request, "signals/signal_detail.html", {
        "signal": signal, "current": versions[-1], "versions": versions,
        "pupil_links": pupil_links, "attachments": attachments, "in_case": in_case,
        "cases": case_detail_urls, "can_correct": can_correct(request.user, signal),
        "can_acknowledge": can_triage and signal.acknowledged_at is None,
        "open_case_url": open_case_url,
        "is_recorder": signal.recorded_by_id == request.user.pk,
    })


@login_required
def signal_correct_view(request, pk: int):
    """Correct the observation: a new version with a reason; conflicts keep the user's text."""
    signal = signal_get_for_user(request.user, pk)
    if not can_correct(request.user, signal):
        raise PermissionDenied
    current = signal.versions.select_related("author").order_by("-number").first()
    conflict = None
    if request.method == "POST":
        form = SignalCorrectForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                signal_correct(signal=signal, actor=request.user,
                               base_number=data["base_number"], facts=data["facts"],
                               child_words=data["child_words"],
                               interpretation=data["interpretation"], reason=data["reason"])
            except VersionConflict as exc:
                # Keep everything the user typed; the next save builds on the newer version
                # they have now been shown.
                conflict = current = exc.current
                versions = list(signal.versions.select_related("author").order_by("number"))
                conflict.interpretation_author = _interpretation_authors(versions)[conflict.number]
                bound = request.POST.copy()
                bound["base_number"] = str(conflict.number)
                form = SignalCorrectForm(bound)
            except ServiceError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, _("De correctie is opgeslagen als nieuwe versie. "
                                            "De eerdere versie blijft bewaard."))
                return redirect("signals:detail", signal.pk)
    else:
        form = SignalCorrectForm(initial={
            "base_number": current.number, "facts": current.facts,
            "child_words": current.child_words, "interpretation": current.interpretation})
    return render(request, "signals/signal_correct.html", {
        "signal": signal, "form": form, "current": current, "conflict": conflict})


@login_required
@require_POST
def signal_acknowledge_view(request, pk: int):
    signal = signal_get_for_user(request.user, pk)
    if not _can_triage(request.user, signal):
        raise PermissionDenied
    signal_acknowledge(signal=signal, actor=request.user)
    messages.success(request, _("Het signaal is gemarkeerd als gezien."))
    if request.POST.get("next") == "triage":
        return redirect("signals:triage")
    return redirect("signals:detail", signal.pk)


@login_required
def attachment_download(request, pk: int):
    """Serve one attachment to someone who may see its signal; logged as a download."""
    attachment = get_object_or_404(
        SignalAttachment.objects.select_related("signal").filter(
            signal__in=signals_visible_to(request.user).values("pk")), pk=pk)
    try:
        handle = default_storage.open(attachment.file.name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    # log_access takes the school from ``obj.school_id``; an attachment has it via its signal.
    attachment.school_id = attachment.signal.school_id
    log_access(user=request.user, obj=attachment, action=AccessAction.DOWNLOAD)
    stem = os.path.splitext(attachment.original_name)[0][:100] or "bijlage"
    filename = stem + EXTENSIONS.get(attachment.content_type, "")
    response = FileResponse(handle, as_attachment=True, filename=filename,
                            content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response
