"""Technical administration (superusers only, see ``core.admin_site``).

Day-to-day management of people, roles, groups, pupils and the schools' settings happens in
the beheer screens (``schools.views``), which are scoped to the manager's board or school;
this admin is for repairs. Models with history use ``SimpleHistoryAdmin`` so every change is traceable.
"""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (Board, Family, Membership, Parent, Pupil, PupilParent, School,
                     SchoolClass, SchoolContact)


@admin.register(Board)
class BoardAdmin(admin.ModelAdmin):
    list_display = ["name", "meldcode_version"]
    search_fields = ["name"]


@admin.register(School)
class SchoolAdmin(SimpleHistoryAdmin):
    list_display = ["name", "brin_code", "board", "doubt_means_report", "verwijsindex_enabled",
                    "work_notes_enabled"]
    list_filter = ["board"]
    list_select_related = ["board"]
    search_fields = ["name", "brin_code"]


@admin.register(SchoolClass)
class SchoolClassAdmin(admin.ModelAdmin):
    list_display = ["name", "school_year", "school"]
    list_filter = ["school_year", "school"]
    list_select_related = ["school"]
    search_fields = ["name", "school__name"]


@admin.register(Family)
class FamilyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "board"]
    list_filter = ["board"]
    list_select_related = ["board"]
    search_fields = ["label"]


class PupilParentInline(admin.TabularInline):
    model = PupilParent
    extra = 0
    autocomplete_fields = ["parent"]


@admin.register(Pupil)
class PupilAdmin(SimpleHistoryAdmin):
    list_display = ["last_name", "first_name", "external_id", "school", "school_class", "left_on"]
    list_filter = ["school"]
    list_select_related = ["school", "school_class"]
    search_fields = ["last_name", "first_name", "external_id"]
    autocomplete_fields = ["school_class", "family"]
    inlines = [PupilParentInline]


@admin.register(Parent)
class ParentAdmin(SimpleHistoryAdmin):
    list_display = ["name", "email", "phone", "safe_to_contact", "school"]
    list_filter = ["safe_to_contact", "school"]
    list_select_related = ["school"]
    search_fields = ["name", "email"]


@admin.register(PupilParent)
class PupilParentAdmin(SimpleHistoryAdmin):
    list_display = ["pupil", "parent", "relationship", "has_authority"]
    list_filter = ["relationship", "has_authority"]
    list_select_related = ["pupil", "parent"]
    search_fields = ["pupil__last_name", "parent__name"]
    autocomplete_fields = ["pupil", "parent"]


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ["user", "role", "school", "board", "starts_on", "ends_on"]
    list_filter = ["role", "board", "school"]
    list_select_related = ["user", "school", "board"]
    search_fields = ["user__username", "user__last_name", "user__first_name"]
    autocomplete_fields = ["user"]
    filter_horizontal = ["classes"]
    date_hierarchy = "starts_on"


@admin.register(SchoolContact)
class SchoolContactAdmin(SimpleHistoryAdmin):
    """Repairs only: the directeur and the beheerder keep the contacts on the beheer pages."""

    list_display = ["organisation", "kind", "school", "phone", "email"]
    list_filter = ["kind", "school"]
    list_select_related = ["school"]
    search_fields = ["organisation", "name", "school__name"]

    def save_model(self, request, obj, form, change):
        if change:  # a beheer form loaded before this save must not overwrite it
            obj.lock_version += 1
        super().save_model(request, obj, form, change)
