"""The change history ("wijzigingen") of a case and of every case-data model linked to it.

Per historical model ONE query (with the acting user joined), ordered by time; consecutive
versions of the same object are diffed in Python with ``diff_against`` (no ``prev_record``,
which runs a query per row: style.md §2.4). Other apps add their tracked models with
``register_history_source`` so that this module never imports them.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from signals.models import Signal, SignalAttachment, SignalPupil, SignalVersion

from .models import (Case, CaseSignal, Consultation, Conversation, ParentStatement,
                     SotDiscussion, StepTransition, VeiligThuisAdvice, VerwijsindexMatch,
                     VerwijsindexRegistration)


@dataclass
class FieldChange:
    field: str
    label: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    at: datetime.datetime
    user: Any
    reason: str
    kind: str  # "+" created, "~" changed, "-" deleted (simple-history's history_type)
    model_label: str
    object_id: Any
    changes: list[FieldChange] = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        return {"+": _("aangemaakt"), "~": _("gewijzigd"), "-": _("verwijderd")}.get(
            self.kind, self.kind)


# A source: callable(case) -> queryset of historical rows of ONE tracked model.
HistorySource = Callable[[Case], models.QuerySet]
_EXTRA_SOURCES: list[HistorySource] = []


def register_history_source(source: HistorySource) -> None:
    """Add ``source(case)``, returning e.g. ``Answer.history.filter(case_id=case.pk)``."""
    if source not in _EXTRA_SOURCES:
        _EXTRA_SOURCES.append(source)


def _signal_ids(case: Case):
    # Historical links, so a signal that was ever part of the case keeps its history here.
    # Used as a subquery: no query of its own.
    return CaseSignal.history.filter(case_id=case.pk).values("signal_id")


_BUILTIN_SOURCES: list[HistorySource] = [
    lambda case: Case.history.filter(id=case.pk),
    lambda case: CaseSignal.history.filter(case_id=case.pk),
    lambda case: StepTransition.history.filter(case_id=case.pk),
    lambda case: VerwijsindexRegistration.history.filter(case_id=case.pk),
    lambda case: VerwijsindexMatch.history.filter(case_id=case.pk),
    lambda case: Consultation.history.filter(case_id=case.pk),
    lambda case: VeiligThuisAdvice.history.filter(case_id=case.pk),
    lambda case: Conversation.history.filter(case_id=case.pk),
    lambda case: SotDiscussion.history.filter(case_id=case.pk),
    lambda case: ParentStatement.history.filter(case_id=case.pk),
    lambda case: Signal.history.filter(id__in=_signal_ids(case)),
    lambda case: SignalVersion.history.filter(signal_id__in=_signal_ids(case)),
    lambda case: SignalPupil.history.filter(signal_id__in=_signal_ids(case)),
    lambda case: SignalAttachment.history.filter(signal_id__in=_signal_ids(case)),
]

# Fields that say nothing to a reader of the history (bookkeeping, storage paths).
_SKIP_FIELDS = {"id", "lock_version", "file"}


def _user_label(user) -> str:
    if user is None:
        return _("systeem")
    return user.get_full_name() or user.username


def _is_user_fk(f) -> bool:
    return isinstance(f, models.ForeignKey) and f.related_model is get_user_model()


class _Formatter:
    """Turns raw field values into readable Dutch text; user ids resolved in one query."""

    def __init__(self):
        self.user_ids: set[int] = set()
        self.users: dict[int, Any] = {}

    def collect(self, model, name, *values):
        f = model._meta.get_field(name)
        if _is_user_fk(f):
            self.user_ids.update(v for v in values if v)

    def load_users(self, known):
        self.users.update(known)
        missing = self.user_ids - set(self.users)
        if missing:
            self.users.update(get_user_model().objects.in_bulk(missing))

    def __call__(self, model, name, value) -> str:
        f = model._meta.get_field(name)
        if value is None or value == "" or value == []:
            return "—"
        if _is_user_fk(f):
            return _user_label(self.users.get(value)) if value in self.users else f"#{value}"
        if isinstance(f, models.ForeignKey):
            return f"{f.related_model._meta.verbose_name} #{value}"
        if f.choices:
            return str(dict(f.flatchoices).get(value, value))
        if isinstance(value, bool):
            return _("ja") if value else _("nee")
        if isinstance(value, datetime.datetime):
            return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
        if isinstance(value, datetime.date):
            return formats.date_format(value, "DATE_FORMAT")
        if isinstance(value, list):
            from .timeline import participants_text

            return participants_text(value) or "—"
        return str(value)


# Dutch labels for fields the models leave without a verbose name.
_FALLBACK_LABELS = {
    "case": gettext_lazy("dossier"), "meeting": gettext_lazy("SOT-overleg"),
    "signal": gettext_lazy("signaal"), "pupil": gettext_lazy("leerling"),
    "added_by": gettext_lazy("toegevoegd door"), "content_type": gettext_lazy("bestandstype"),
    "size": gettext_lazy("grootte (bytes)"), "uploaded_by": gettext_lazy("geüpload door"),
}


def _field_label(model, name) -> str:
    label = str(model._meta.get_field(name).verbose_name)
    if label == name.replace("_", " "):  # Django's default: no verbose name was given
        label = str(_FALLBACK_LABELS.get(name, label))
    return label[:1].upper() + label[1:]


def case_history(case: Case) -> list[HistoryEntry]:
    """Who changed what on the case and its linked data, newest first.

    Runs one query per historical model plus at most one for user names.
    """
    raw: list[tuple[Any, Any, list[tuple[str, Any, Any]]]] = []
    fmt = _Formatter()
    known_users = {}
    for source in (*_BUILTIN_SOURCES, *_EXTRA_SOURCES):
        rows = list(source(case).select_related("history_user")
                    .order_by("history_date", "history_id"))
        by_object: dict[Any, list] = defaultdict(list)
        for row in rows:
            by_object[row.id].append(row)
            if row.history_user_id:
                known_users[row.history_user_id] = row.history_user
        for versions in by_object.values():
            previous = None
            for row in versions:
                model = row.instance_type
                if previous is None:
                    names = [f.name for f in row.tracked_fields if f.editable]
                    changed = [(n, None, getattr(row, _attname(model, n)))
                               for n in names if n not in _SKIP_FIELDS and n != "case"]
                    changed = [(n, o, v) for n, o, v in changed if v not in (None, "", [])]
                    if row.history_type == "-":
                        changed = []
                else:
                    delta = row.diff_against(previous)
                    changed = [(c.field, c.old, c.new) for c in delta.changes
                               if c.field not in _SKIP_FIELDS]
                for name, old, new in changed:
                    fmt.collect(model, name, old, new)
                raw.append((row, model, changed))
                previous = row
    fmt.load_users(known_users)

    entries = []
    for row, model, changed in raw:
        label = str(model._meta.verbose_name)
        entries.append(HistoryEntry(
            at=row.history_date, user=row.history_user, reason=row.history_change_reason or "",
            kind=row.history_type, model_label=label[:1].upper() + label[1:], object_id=row.id,
            changes=[FieldChange(name, _field_label(model, name), fmt(model, name, old),
                                 fmt(model, name, new)) for name, old, new in changed]))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries


def _attname(model, name) -> str:
    return model._meta.get_field(name).attname
