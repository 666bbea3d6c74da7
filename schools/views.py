"""Beheer screens for the board's functional administrator (beheerder) and the directeur.

Every view first finds the user's scope (``schools.manage_people``, ``schools.import_pupils``
or, for a school's settings, ``schools.manage_settings``): no scope at all means 403; any
object outside the scope means 404, because lookups go through querysets limited to the
managed schools. No case content is shown here.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.forms import post_data, post_files

from . import forms, importer, services
from .models import SchoolClass
from .services import IMPORT_PUPILS, MANAGE_PEOPLE, MANAGE_SETTINGS

PEOPLE_PER_PAGE = 100
PUPILS_PER_PAGE = 50


def _scope(request, perm: str = MANAGE_PEOPLE) -> services.Scope:
    """The user's scope for ``perm``; 403 when the user holds it nowhere (deny by default)."""
    scope = services.manage_scope(request.user, perm)
    if not scope:
        raise PermissionDenied
    return scope


def _context(request, scope, **extra):
    """What every beheer page needs for its sub-navigation."""
    return {"can_import": bool(services.manage_scope(request.user, IMPORT_PUPILS)),
            "today": timezone.localdate(), **extra}


def _add_errors(form, error: ValidationError):
    if hasattr(error, "error_dict"):
        for field_name, errors in error.error_dict.items():
            for e in errors:
                form.add_error(field_name if field_name in form.fields else None, e)
    else:
        form.add_error(None, error)


def _page(request, queryset, per_page):
    return Paginator(queryset, per_page).get_page(request.GET.get("pagina"))


# --------------------------------------------------------------------------------------------
# People and roles
# --------------------------------------------------------------------------------------------

@login_required
@require_GET
def people(request):
    """Staff and their roles at the schools the user manages, filterable by school."""
    scope = _scope(request)
    today = timezone.localdate()
    memberships = services.managed_memberships(scope).select_related(
        "user", "school", "board").order_by("user__last_name", "user__first_name", "user_id",
                                            "school__name", "role")
    filters = forms.PeopleFilterForm(request.GET or None, scope=scope)
    status = forms.PeopleFilterForm.STATUS_ACTIVE
    if filters.is_valid():
        data = filters.cleaned_data
        status = data["status"] or status
        if data["school"]:
            memberships = memberships.filter(school=data["school"])
        if data["role"]:
            memberships = memberships.filter(role=data["role"])
        for word in data["q"].split():
            memberships = memberships.filter(Q(user__first_name__icontains=word)
                                             | Q(user__last_name__icontains=word)
                                             | Q(user__username__icontains=word))
    if status == forms.PeopleFilterForm.STATUS_ACTIVE:
        memberships = memberships.active(today)
    elif status == forms.PeopleFilterForm.STATUS_ENDED:
        memberships = memberships.filter(ends_on__lt=today)
    page = _page(request, memberships, PEOPLE_PER_PAGE)
    return render(request, "schools/people.html", _context(
        request, scope, filters=filters, page=page, memberships=page.object_list,
        query=_query_without_page(request)))


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("pagina", None)
    return query.urlencode()


@login_required
@require_http_methods(["GET", "POST"])
def person_create(request):
    """A new staff account with its first role; the person sets a password via e-mail."""
    scope = _scope(request)
    user_form = forms.StaffUserForm(post_data(request))
    role_form = forms.MembershipForm(post_data(request), actor=request.user, scope=scope,
                                     prefix="rol")
    # Validate both forms so that every error shows at once.
    if request.method == "POST" and all([user_form.is_valid(), role_form.is_valid()]):
        data = user_form.cleaned_data
        try:
            membership = services.staff_user_create(
                actor=request.user, username=data["username"], first_name=data["first_name"],
                last_name=data["last_name"], email=data["email"],
                membership=role_form.membership_kwargs())
        except ValidationError as error:
            _add_errors(role_form, error)
        else:
            messages.success(request, _(
                "Het account is aangemaakt. %(name)s krijgt een e-mail met een link om een "
                "wachtwoord in te stellen, en stelt daarna tweestapsverificatie in.")
                % {"name": membership.user.get_full_name()})
            return redirect("schools:person_detail", pk=membership.user_id)
    return render(request, "schools/person_form.html", _context(
        request, scope, user_form=user_form, role_form=role_form))


@login_required
@require_GET
def person_detail(request, pk):
    scope = _scope(request)
    person = get_object_or_404(services.managed_people(scope), pk=pk)
    memberships = (services.managed_memberships(scope).filter(user=person)
                   .select_related("school", "board").prefetch_related("classes")
                   .order_by("-starts_on", "school__name"))
    return render(request, "schools/person_detail.html", _context(
        request, scope, person=person, memberships=memberships))


@login_required
@require_http_methods(["GET", "POST"])
def membership_add(request, pk):
    scope = _scope(request)
    person = get_object_or_404(services.managed_people(scope), pk=pk)
    form = forms.MembershipForm(post_data(request), actor=request.user, scope=scope,
                                person=person)
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_add(actor=request.user, user=person, **form.membership_kwargs())
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("De rol is toegevoegd."))
            return redirect("schools:person_detail", pk=person.pk)
    return render(request, "schools/membership_form.html", _context(
        request, scope, person=person, form=form))


@login_required
@require_http_methods(["GET", "POST"])
def membership_end(request, pk):
    scope = _scope(request)
    membership = get_object_or_404(
        services.managed_memberships(scope).select_related("user", "school", "board"), pk=pk)
    form = forms.MembershipEndForm(post_data(request), membership=membership)
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_end(actor=request.user, membership=membership,
                                    ends_on=form.cleaned_data["ends_on"])
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("De einddatum van de rol is vastgelegd."))
            return redirect("schools:person_detail", pk=membership.user_id)
    return render(request, "schools/membership_end.html", _context(
        request, scope, membership=membership, form=form))


# --------------------------------------------------------------------------------------------
# Schools and groups
# --------------------------------------------------------------------------------------------

@login_required
@require_GET
def school_list(request):
    scope = _scope(request)
    today = timezone.localdate()
    current = Q(pupils__left_on__isnull=True) | Q(pupils__left_on__gt=today)
    schools = list(services.managed_schools(scope).annotate(
        pupil_count=Count("pupils", filter=current, distinct=True)))
    return render(request, "schools/school_list.html", _context(
        request, scope, schools=schools,
        import_ids=_listed_ids(request.user, IMPORT_PUPILS, schools),
        settings_ids=_listed_ids(request.user, MANAGE_SETTINGS, schools)))


def _listed_ids(user, perm: str, schools) -> set[int]:
    """Ids of the listed ``schools`` where ``user`` holds ``perm`` (no query)."""
    scope = services.manage_scope(user, perm)
    return {s.pk for s in schools if s.pk in scope.school_ids or s.board_id in scope.board_ids}


@login_required
@require_http_methods(["GET", "POST"])
def school_settings(request, school_id):
    """The school's switches (R12, R32, R45), for whoever holds ``schools.manage_settings``
    there: by default the board's beheerder, as for the reminder and retention terms; the
    directeur, who manages the school's people, does not set them.

    A save refused because someone else saved in between (``SettingsConflict``) comes back
    with 409, the user's choices kept and the stored settings shown; the next save is based
    on those. Switching the working notes off deletes no note (see the form's help text and
    ``services.school_settings_update``): the page and the message say how many stay hidden
    and until when at the latest.
    """
    from worknotes.selectors import school_notes

    scope = _scope(request, MANAGE_SETTINGS)
    school = get_object_or_404(services.managed_schools(scope), pk=school_id)
    form = forms.SchoolSettingsForm(post_data(request), school=school)
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.school_settings_update(
                actor=request.user, school=school, values=form.values(), seen=form.seen(),
                reason=form.cleaned_data["reason"])
        except services.SettingsConflict as exc:
            conflict = exc.current
            form.rebase(conflict)
        else:
            if not changed:
                messages.info(request, _("Er is niets gewijzigd."))
            else:
                messages.success(request, _("De instellingen van %(school)s zijn opgeslagen.")
                                 % {"school": school.name})
                if "work_notes_enabled" in changed and not school.work_notes_enabled:
                    notes = school_notes(school.pk)
                    if notes.count:
                        messages.warning(request, ngettext(
                            "Persoonlijke werkaantekeningen staan nu uit. De bestaande "
                            "werkaantekening is verborgen en wordt uiterlijk op %(date)s "
                            "automatisch verwijderd.",
                            "Persoonlijke werkaantekeningen staan nu uit. De %(count)d "
                            "bestaande werkaantekeningen zijn verborgen en worden uiterlijk op "
                            "%(date)s automatisch verwijderd.", notes.count) % {
                            "count": notes.count,
                            "date": date_format(timezone.localtime(notes.gone_by), "j F Y")})
            return redirect("schools:school_list")
    shown = conflict or school
    hidden_notes = None if shown.work_notes_enabled else school_notes(school.pk)
    status = 409 if conflict else 200  # a refused form answers 200, as on every beheer page
    return render(request, "schools/school_settings.html", _context(
        request, scope, school=school, form=form, conflict=conflict,
        switches=[form[name] for name in services.SCHOOL_SETTINGS],
        stored=[(form[name].label, getattr(shown, name)) for name in services.SCHOOL_SETTINGS],
        hidden_notes=hidden_notes), status=status)


@login_required
@require_GET
def class_list(request, school_id):
    scope = _scope(request)
    school = get_object_or_404(services.managed_schools(scope), pk=school_id)
    years = sorted(set(SchoolClass.objects.filter(school=school).values_list(
        "school_year", flat=True)) | {services.current_school_year()}, reverse=True)
    year = request.GET.get("schooljaar")
    if year not in years:
        year = services.current_school_year()
    today = timezone.localdate()
    current = Q(pupils__left_on__isnull=True) | Q(pupils__left_on__gt=today)
    classes = (SchoolClass.objects.filter(school=school, school_year=year)
               .annotate(pupil_count=Count("pupils", filter=current, distinct=True))
               .order_by("name"))
    return render(request, "schools/class_list.html", _context(
        request, scope, school=school, classes=classes, years=years, year=year))


@login_required
@require_http_methods(["GET", "POST"])
def class_create(request, school_id):
    scope = _scope(request)
    school = get_object_or_404(services.managed_schools(scope), pk=school_id)
    return _class_form(request, scope, school, SchoolClass(school=school))


@login_required
@require_http_methods(["GET", "POST"])
def class_edit(request, pk):
    scope = _scope(request)
    school_class = get_object_or_404(services.managed_classes(scope), pk=pk)
    return _class_form(request, scope, school_class.school, school_class)


def _class_form(request, scope, school, instance):
    form = forms.SchoolClassForm(post_data(request), instance=instance, school=school)
    if request.method == "POST" and form.is_valid():
        school_class = form.save()
        messages.success(request, _("Groep %(name)s is opgeslagen.") % {"name": school_class})
        return redirect(f"{reverse('schools:class_list', args=[school.pk])}"
                        f"?schooljaar={school_class.school_year}")
    return render(request, "schools/class_form.html", _context(
        request, scope, school=school, form=form, school_class=instance))


# --------------------------------------------------------------------------------------------
# Local contacts (R47)
# --------------------------------------------------------------------------------------------
#
# The school's local contacts (sociale kaart) are kept by whoever holds
# ``schools.manage_people`` there: the board's beheerder for every school of the board and
# the directeur for the own school. Not ``schools.manage_settings`` (the beheerder alone):
# the directeur knows when the wijkteam or the jeugdverpleegkundige changes and must be able
# to keep the numbers current without asking the board. The contacts are professionals' work
# details, no case content; every staff member of the school reads them (``contacts``).


def _managed_school(request, school_id):
    scope = _scope(request)
    return scope, get_object_or_404(services.managed_schools(scope), pk=school_id)


def _managed_contact(scope, school_id, pk):
    return get_object_or_404(services.managed_contacts(scope), pk=pk, school_id=school_id)


@login_required
@require_GET
def contact_list(request, school_id):
    """The school's local contacts with links to add, change and delete them (see above for
    who may: ``schools.manage_people``, i.e. the beheerder and the school's directeur)."""
    scope, school = _managed_school(request, school_id)
    return render(request, "schools/contact_list.html", _context(
        request, scope, school=school, contacts=services.school_contacts([school.pk])))


@login_required
@require_http_methods(["GET", "POST"])
def contact_create(request, school_id):
    """Add a local contact (``schools.manage_people`` at the school: beheerder, directeur)."""
    scope, school = _managed_school(request, school_id)
    form = forms.SchoolContactForm(post_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.school_contact_create(
                actor=request.user, school=school, values=form.values(),
                reason=form.cleaned_data["reason"])
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Contact %(name)s is toegevoegd.")
                             % {"name": contact.organisation})
            return redirect("schools:contact_list", school.pk)
    return render(request, "schools/contact_form.html", _context(
        request, scope, school=school, form=form, contact=None))


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request, school_id, pk):
    """Change a local contact (``schools.manage_people`` at the school).

    A save based on an older version (someone else saved in between) is refused with 409:
    what the user typed stays in the form, the stored contact is shown beside it and the
    next save is based on that version. A contact deleted meanwhile leads back to the list."""
    scope, school = _managed_school(request, school_id)
    contact = _managed_contact(scope, school.pk, pk)
    form = forms.SchoolContactForm(post_data(request), instance=contact)
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.school_contact_update(
                actor=request.user, contact=contact, values=form.values(),
                lock_version=form.cleaned_data["lock_version"],
                reason=form.cleaned_data["reason"])
        except services.ContactConflict as exc:
            if exc.current is None:
                messages.error(request, _("Dit contact is intussen door iemand anders "
                                          "verwijderd. Er is niets opgeslagen."))
                return redirect("schools:contact_list", school.pk)
            conflict = exc.current
            form.rebase(conflict)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            if changed:
                messages.success(request, _("Contact %(name)s is opgeslagen.")
                                 % {"name": contact.organisation})
            else:
                messages.info(request, _("Er is niets gewijzigd."))
            return redirect("schools:contact_list", school.pk)
    return render(request, "schools/contact_form.html", _context(
        request, scope, school=school, form=form, contact=contact, conflict=conflict),
        status=409 if conflict else 200)


@login_required
@require_http_methods(["GET", "POST"])
def contact_delete(request, school_id, pk):
    """Delete a local contact after confirmation (``schools.manage_people`` at the school);
    refused (409, nothing deleted) when the contact changed after the page was loaded."""
    scope, school = _managed_school(request, school_id)
    contact = _managed_contact(scope, school.pk, pk)
    form = forms.SchoolContactDeleteForm(post_data(request), instance=contact)
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            services.school_contact_delete(
                actor=request.user, contact=contact,
                lock_version=form.cleaned_data["lock_version"],
                reason=form.cleaned_data["reason"])
        except services.ContactConflict as exc:
            if exc.current is None:
                messages.info(request, _("Dit contact was al verwijderd."))
                return redirect("schools:contact_list", school.pk)
            conflict = contact = exc.current
            form = forms.SchoolContactDeleteForm(instance=conflict,
                                                 initial={"reason": form.cleaned_data["reason"],
                                                          "lock_version": conflict.lock_version})
        else:
            messages.success(request, _("Contact %(name)s is verwijderd.")
                             % {"name": contact.organisation})
            return redirect("schools:contact_list", school.pk)
    return render(request, "schools/contact_delete.html", _context(
        request, scope, school=school, form=form, contact=contact, conflict=conflict),
        status=409 if conflict else 200)


# --------------------------------------------------------------------------------------------
# Pupils and parents
# --------------------------------------------------------------------------------------------

PUPIL_SEARCH_SESSION_KEY = "pupil_search"


@login_required
@require_http_methods(["GET", "POST"])
def pupil_list(request, school_id):
    """One school's pupils, paginated, searchable by name or leerlingnummer.

    The search is sent by POST and kept in the session (per school), so a pupil's name never
    appears in a URL (browser history, proxy logs)."""
    scope = _scope(request)
    school = get_object_or_404(services.managed_schools(scope), pk=school_id)
    searches = dict(request.session.get(PUPIL_SEARCH_SESSION_KEY) or {})
    if request.method == "POST":
        if "wissen" in request.POST:
            searches.pop(str(school.pk), None)
        else:
            # PostgreSQL refuses NUL in a text comparison; no name or number contains one.
            searches[str(school.pk)] = {
                "q": request.POST.get("q", "").replace("\x00", "").strip()[:100],
                "left": request.POST.get("uitgeschreven") == "1"}
        request.session[PUPIL_SEARCH_SESSION_KEY] = searches
        return redirect("schools:pupil_list", school.pk)
    saved = searches.get(str(school.pk)) or {}
    search, include_left = saved.get("q", ""), bool(saved.get("left"))
    pupils = services.pupils_for_list(school, search=search, include_left=include_left)
    page = _page(request, pupils, PUPILS_PER_PAGE)
    return render(request, "schools/pupil_list.html", _context(
        request, scope, school=school, page=page, pupils=page.object_list, search=search,
        include_left=include_left, query=_query_without_page(request)))


@login_required
@require_http_methods(["GET", "POST"])
def pupil_create(request, school_id):
    scope = _scope(request)
    school = get_object_or_404(services.managed_schools(scope), pk=school_id)
    form = forms.PupilForm(post_data(request), school=school)
    if request.method == "POST" and form.is_valid():
        pupil = form.save()
        messages.success(request, _("De leerling is toegevoegd."))
        return redirect("schools:pupil_detail", pk=pupil.pk)
    return render(request, "schools/pupil_form.html", _context(
        request, scope, school=school, form=form, pupil=None))


@login_required
@require_GET
def pupil_detail(request, pk):
    scope = _scope(request)
    pupil = services.pupil_detail(scope, pk)
    siblings = [p for p in getattr(pupil.family, "visible_siblings", []) if p.pk != pupil.pk] \
        if pupil.family_id else []
    return render(request, "schools/pupil_detail.html", _context(
        request, scope, pupil=pupil, school=pupil.school, links=pupil.parent_links.all(),
        siblings=siblings))


@login_required
@require_http_methods(["GET", "POST"])
def pupil_edit(request, pk):
    scope = _scope(request)
    pupil = get_object_or_404(services.managed_pupils(scope), pk=pk)
    form = forms.PupilForm(post_data(request), instance=pupil, school=pupil.school)
    if request.method == "POST" and form.is_valid():
        if form.has_changed():
            form.save()
        messages.success(request, _("De gegevens van de leerling zijn opgeslagen."))
        return redirect("schools:pupil_detail", pk=pupil.pk)
    return render(request, "schools/pupil_form.html", _context(
        request, scope, school=pupil.school, form=form, pupil=pupil))


@login_required
@require_http_methods(["GET", "POST"])
def parent_add(request, pk):
    scope = _scope(request)
    pupil = get_object_or_404(services.managed_pupils(scope), pk=pk)
    form = forms.ParentAddForm(post_data(request), pupil=pupil)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.parent_link_add(
                actor=request.user, pupil=pupil, existing_parent=data.get("existing_parent"),
                relationship=data["relationship"], has_authority=data["has_authority"],
                name=data["name"].strip(), email=data["email"], phone=data["phone"].strip(),
                safe_to_contact=data["safe_to_contact"])
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("De ouder/verzorger is toegevoegd."))
            return redirect("schools:pupil_detail", pk=pupil.pk)
    return render(request, "schools/parent_form.html", _context(
        request, scope, pupil=pupil, school=pupil.school, form=form, link=None))


@login_required
@require_http_methods(["GET", "POST"])
def parent_edit(request, pk):
    scope = _scope(request)
    link = get_object_or_404(services.managed_parent_links(scope), pk=pk)
    form = forms.ParentLinkEditForm(post_data(request), link=link)
    if request.method == "POST" and form.is_valid():
        services.parent_link_update(actor=request.user, link=link, **form.cleaned_data)
        messages.success(request, _("De gegevens van de ouder/verzorger zijn opgeslagen."))
        return redirect("schools:pupil_detail", pk=link.pupil_id)
    return render(request, "schools/parent_form.html", _context(
        request, scope, pupil=link.pupil, school=link.pupil.school, form=form, link=link,
        shared_count=link.parent.pupil_links.count()))


@login_required
@require_POST
def parent_remove(request, pk):
    """Unlink a parent from this pupil; the parent stays linked to any siblings."""
    scope = _scope(request)
    link = get_object_or_404(services.managed_parent_links(scope), pk=pk)
    try:
        services.parent_link_remove(actor=request.user, link=link)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("schools:pupil_detail", pk=link.pupil_id)
    messages.success(request, _("%(name)s is niet langer als ouder/verzorger gekoppeld.")
                     % {"name": link.parent.name})
    return redirect("schools:pupil_detail", pk=link.pupil_id)


# --------------------------------------------------------------------------------------------
# Import
# --------------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def pupil_import(request):
    """Step 1: upload and check. Nothing is written; a clean file gets a confirm form."""
    scope = _scope(request, IMPORT_PUPILS)
    initial = {}
    if school_id := request.GET.get("school", "").strip():
        initial["school"] = school_id if school_id.isdigit() else None
    form = forms.PupilImportForm(post_data(request), post_files(request), scope=scope,
                                 initial=initial)
    context = _context(request, scope, form=form, columns=importer.COLUMN_DOCS)
    if request.method == "POST" and form.is_valid():
        school = form.cleaned_data["school"]
        data = form.cleaned_data["file"].read(importer.MAX_BYTES + 1)
        report = importer.parse_pupil_csv(data)
        context.update(school=school, report=report)
        if report.ok:
            context["plan"] = services.pupil_import_plan(school=school, report=report)
            context["confirm_form"] = forms.PupilImportConfirmForm(
                scope=scope, user=request.user, initial={
                    "school": school.pk,
                    "payload": services.import_payload_make(data, user=request.user,
                                                            school=school)})
        return render(request, "schools/pupil_import_report.html", context)
    return render(request, "schools/pupil_import.html", context)


@login_required
@require_POST
def pupil_import_confirm(request):
    """Step 2: check the same file again against today's data and import all rows or none."""
    scope = _scope(request, IMPORT_PUPILS)
    form = forms.PupilImportConfirmForm(request.POST, scope=scope, user=request.user)
    if not form.is_valid():
        if form.has_error("school"):
            raise PermissionDenied
        for error in form.non_field_errors():
            messages.error(request, error)
        return redirect("schools:pupil_import")
    school = form.cleaned_data["school"]
    try:
        result = services.pupil_import_apply(actor=request.user, school=school,
                                             data=form.cleaned_data["content"])
    except services.ImportRejected as rejected:
        return render(request, "schools/pupil_import_report.html", _context(
            request, scope, school=school, report=rejected.report,
            form=forms.PupilImportForm(scope=scope, initial={"school": school.pk}),
            columns=importer.COLUMN_DOCS))
    messages.success(request, _(
        "Import voltooid: %(created)d leerlingen nieuw, %(updated)d bijgewerkt, %(unchanged)d "
        "ongewijzigd; %(classes)d groepen, %(families)d gezinnen en %(parents)d "
        "ouders/verzorgers aangemaakt.") % {
        "created": result.created, "updated": result.updated, "unchanged": result.unchanged,
        "classes": result.classes_created, "families": result.families_created,
        "parents": result.parents_created})
    return redirect("schools:pupil_list", school_id=school.pk)


@login_required
@require_GET
def pupil_import_template(request):
    """An empty CSV with the header line, to fill or to compare an export against."""
    _scope(request, IMPORT_PUPILS)
    response = HttpResponse(importer.template_csv().encode("utf-8-sig"),
                            content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="leerlingen-import.csv"'
    return response
