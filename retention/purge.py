"""Remove a case, or a loose signal, and everything that is part of it, from every table,
without leaving its id.

``plan_case_purge(case)`` and ``plan_signal_purge(signal)`` find the rows; ``execute(plan)``
deletes them. The caller holds the root row locked (``select_for_update``) inside one
transaction. Both planners share the walk below (``_walk``), the generic references, the
access-log stripping, the file removal and the deletion itself; they differ only in the root
and in the boundary checks.

A loose signal (``plan_signal_purge``) is a signal that never became part of any case. Its
root is the signal; the walk then collects its versions, pupil links, attachments (and their
files), their history rows, notifications and reminders pointing at it or linking to its
pages (``/signalen/<id>/``, ``/bewaartermijnen/signaal/<id>/``), its access-log rows, and its
id in overview rows (``listed_ids``). The planner refuses (``PurgeRefused``) when anything
outside the signal holds it: a case link now or in history, a staff-route concern, a Veilig
Thuis report citing it, or any collected row that points at a case, at a pupil not linked to
the signal, or at another signal.

How the rows are found: not from a hand-kept list, but by walking the model graph to a fixed
point, so a record model added later by any app is purged too:

1. start with the case and the signals that are *only* this case's (see ``_case_signals``);
2. every row of any installed model with a foreign key to a collected row is collected
   (records, step transitions, guardian permission rows, afwegingskader answers, acute calls,
   exports, access log, legal holds ...), and so on down;
3. django-simple-history: every historical model is walked too. A historical row whose
   foreign key points at a collected id adds its object's id to that model's set, so versions
   of records deleted long ago (history_type "-") and their own children are found as well;
   every historical row of every collected id is deleted;
4. rows pointing at collected objects by ``object_type``/``object_id`` (notifications,
   reminders, access log, redactions of an inzage copy) and notifications/reminders whose
   link points into the case (``/dossiers/<id>/``, ``/bewaartermijnen/dossier/<id>/``) are
   deleted.

Models of this app that must outlive the case (proposals, tombstones, requests) are not
walked: the proposal's ``case`` is set to NULL instead.

Kept on purpose: the pupil (the school's pupil administration, with its own term), SOT
meetings (they list several cases; the case's own agenda item is removed), signals that also
concern another pupil or belong to another case (this pupil's link to them is removed), and
the pupil's access requests (the request itself is the school's record of an AVG request;
stored copies made for it are removed, because they contain the case).

``cases.AccessLog``: its rows for the case and its records are **deleted**, not kept. The log
answers "who read this file"; once the file is destroyed, a row "user X read the case file of
the pupil, on date Y" is itself the most sensitive fact left (that a Meldcode case about the
child existed), and keeping it with a pseudonymised object would still link staff reads to a
destroyed file that nobody may ask about any more. Accountability for the destruction itself
is the tombstone: who approved and confirmed, when, under which rule, and how many access-log
rows went with the file (``Tombstone.access_log_removed``).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.db.models import Q

logger = logging.getLogger(__name__)

#: Rows of these models outlive the case (they are the record *of* the destruction).
NOT_WALKED = {"retention.destructionproposal", "retention.tombstone",
              "retention.destructionrequest", "retention.retentionterm"}


class PurgeRefused(Exception):
    """The walk reached rows that belong to something else than this case: nothing deleted."""


@dataclass
class PurgePlan:
    case_id: int | None = None
    pupil_id: int | None = None
    # model -> ids (live rows and ids known only from history)
    ids: dict[type[models.Model], set] = field(default_factory=lambda: defaultdict(set))
    url_prefix: str = ""
    retention_prefix: str = ""
    files: set[str] = field(default_factory=set)
    kept_signal_ids: set[int] = field(default_factory=set)
    # A loose signal's purge: the signal, and all the pupils linked to it.
    signal_id: int | None = None
    # Pupils whose stored inzage copies contain the purged data (their files go).
    pupil_ids: set[int] = field(default_factory=set)


def _is_historical(model) -> bool:
    return hasattr(model, "instance_type") and any(
        f.name == "history_id" for f in model._meta.concrete_fields)


def _all_models():
    return [m for m in apps.get_models(include_auto_created=True)
            if not m._meta.proxy and m._meta.managed
            and m._meta.label_lower not in NOT_WALKED]


def _fks(model):
    return [f for f in model._meta.concrete_fields
            if f.is_relation and (f.many_to_one or f.one_to_one) and f.related_model is not None]


def _case_signals(case) -> tuple[set[int], set[int]]:
    """(signals purged with the case, signals kept) among those ever linked to the case.

    A signal goes with the case only when nothing else holds it: no other pupil is linked to
    it, no other case (live link) and no staff-route concern uses it, and no Veilig Thuis
    report of another case cites it.
    """
    from cases.models import CaseSignal
    from signals.models import SignalPupil

    ever = set(CaseSignal.objects.filter(case_id=case.pk).values_list("signal_id", flat=True))
    ever |= set(CaseSignal.history.filter(case_id=case.pk).values_list("signal_id", flat=True))
    if not ever:
        return set(), set()
    keep = set(SignalPupil.objects.filter(signal_id__in=ever).exclude(pupil_id=case.pupil_id)
               .values_list("signal_id", flat=True))
    keep |= set(CaseSignal.objects.filter(signal_id__in=ever).exclude(case_id=case.pk)
                .values_list("signal_id", flat=True))
    if apps.is_installed("specialroutes"):
        concern = apps.get_model("specialroutes", "StaffConcern")
        keep |= set(concern.objects.filter(signal_id__in=ever).values_list("signal_id", flat=True))
    if apps.is_installed("afwegingskader"):
        cited = apps.get_model("afwegingskader", "VeiligThuisReportSignal")
        keep |= set(cited.objects.filter(signal_id__in=ever).exclude(report__case_id=case.pk)
                    .values_list("signal_id", flat=True))
    return ever - keep, ever & keep


def plan_case_purge(case) -> PurgePlan:
    """Every row (live and historical) and every file that goes with ``case``."""
    from cases.models import Case
    from signals.models import Signal, SignalPupil

    from django.urls import reverse

    plan = PurgePlan(case_id=case.pk, pupil_id=case.pupil_id, url_prefix=f"/dossiers/{case.pk}/",
                     retention_prefix=reverse("retention:proposal", args=[case.pk]),
                     pupil_ids={case.pupil_id})
    plan.ids[Case].add(case.pk)
    purged_signals, plan.kept_signal_ids = _case_signals(case)
    plan.ids[Signal] |= purged_signals
    # This pupil's link to a kept signal goes; the signal stays for the other pupil or case.
    plan.ids[SignalPupil] |= set(SignalPupil.objects.filter(
        signal_id__in=plan.kept_signal_ids, pupil_id=case.pupil_id).values_list("pk", flat=True))
    _walk(plan)
    _check_boundaries(plan, case)
    plan.files = _files_of(plan)
    return plan


def _walk(plan: PurgePlan) -> None:
    """Collect, to a fixed point, every live and historical row below the roots in ``plan``."""
    live = [m for m in _all_models() if not _is_historical(m)]
    historical = [m for m in _all_models() if _is_historical(m)]
    changed = True
    while changed:
        changed = False
        for model in live:
            for f in _fks(model):
                target = f.related_model
                wanted = plan.ids.get(target)
                if not wanted:
                    continue
                found = set(model.objects.filter(**{f"{f.attname}__in": wanted})
                            .values_list("pk", flat=True))
                if found - plan.ids[model]:
                    plan.ids[model] |= found
                    changed = True
        for hmodel in historical:
            base = hmodel.instance_type
            if base._meta.label_lower in NOT_WALKED:
                continue
            cond = Q(pk__in=[])
            for f in _fks(hmodel):
                if f.name == "history_user":
                    continue
                wanted = plan.ids.get(f.related_model)
                if wanted:
                    cond |= Q(**{f"{f.attname}__in": wanted})
            if cond == Q(pk__in=[]):
                continue
            found = set(hmodel.objects.filter(cond).values_list("id", flat=True))
            if found - plan.ids[base]:
                plan.ids[base] |= found
                changed = True


def signal_holders(signal_id: int) -> list[str]:
    """What, besides the signal's own records, holds the signal (empty: it is loose).

    A case link now or in history (``cases.CaseSignal`` and its history: a signal that was
    ever in a case goes with that case, see ``_case_signals``), a staff-route concern (live or
    in history), or a Veilig Thuis report citing it (live or in history).
    """
    from cases.models import CaseSignal

    held = []
    if CaseSignal.objects.filter(signal_id=signal_id).exists() or CaseSignal.history.filter(
            signal_id=signal_id).exists():
        held.append("cases.casesignal")
    for app, name in (("specialroutes", "StaffConcern"),
                      ("afwegingskader", "VeiligThuisReportSignal")):
        if not apps.is_installed(app):
            continue
        model = apps.get_model(app, name)
        if model.objects.filter(signal_id=signal_id).exists() or model.history.filter(
                signal_id=signal_id).exists():
            held.append(model._meta.label_lower)
    return held


def plan_signal_purge(signal) -> PurgePlan:
    """Every row (live and historical) and every file that goes with the loose ``signal``.

    Raises ``PurgeRefused`` when the signal is not loose (see ``signal_holders``) or when the
    walk reaches a row that belongs to a case, another pupil or another signal.
    """
    from signals.models import Signal, SignalPupil

    from django.urls import reverse

    held = signal_holders(signal.pk)
    if held:
        raise PurgeRefused(", ".join(held))
    pupil_ids = set(SignalPupil.objects.filter(signal_id=signal.pk)
                    .values_list("pupil_id", flat=True))
    plan = PurgePlan(signal_id=signal.pk,
                     url_prefix=reverse("signals:detail", args=[signal.pk]),
                     retention_prefix=reverse("retention:signal_proposal", args=[signal.pk]),
                     pupil_ids=pupil_ids)
    plan.ids[Signal].add(signal.pk)
    _walk(plan)
    _check_signal_boundaries(plan, signal.pk)
    plan.files = _files_of(plan)
    return plan


def _check_signal_boundaries(plan: PurgePlan, signal_id: int) -> None:
    """Refuse when a collected live row points at a case, at a pupil not linked to the
    signal, or at another signal (defence in depth behind ``signal_holders``)."""
    from cases.models import Case
    from schools.models import Pupil
    from signals.models import Signal

    if set(plan.ids.get(Signal, set())) != {signal_id}:
        raise PurgeRefused("signals.signal")
    for model, ids in plan.ids.items():
        if not ids:
            continue
        for f in _fks(model):
            rows = model.objects.filter(pk__in=ids).exclude(**{f"{f.attname}__isnull": True})
            if f.related_model is Case:
                if rows.exists():
                    raise PurgeRefused(f"{model._meta.label_lower}.{f.name}")
            elif f.related_model is Pupil:
                if rows.exclude(**{f"{f.attname}__in": plan.pupil_ids}).exists():
                    raise PurgeRefused(f"{model._meta.label_lower}.{f.name}")
            elif f.related_model is Signal:
                if rows.exclude(**{f.attname: signal_id}).exists():
                    raise PurgeRefused(f"{model._meta.label_lower}.{f.name}")


def _check_boundaries(plan: PurgePlan, case) -> None:
    """Refuse when a collected live row belongs to another case or pupil (defence in depth:
    the signal rules above should already keep those out)."""
    from cases.models import Case
    from schools.models import Pupil

    for model, ids in plan.ids.items():
        if model is Case or not ids:
            continue
        for f in _fks(model):
            if f.related_model is Case:
                if model.objects.filter(pk__in=ids).exclude(
                        **{f"{f.attname}__isnull": True}).exclude(**{f.attname: case.pk}).exists():
                    raise PurgeRefused(f"{model._meta.label_lower}.{f.name}")
            elif f.related_model is Pupil and model._meta.label_lower != "signals.signalpupil":
                if model.objects.filter(pk__in=ids).exclude(
                        **{f"{f.attname}__isnull": True}).exclude(
                        **{f.attname: case.pupil_id}).exists():
                    raise PurgeRefused(f"{model._meta.label_lower}.{f.name}")


def _files_of(plan: PurgePlan) -> set[str]:
    """Names in the default storage of every file field of collected rows, history included,
    plus stored export files (``ExportJob.file_name``) of collected jobs and of the pupils'
    inzage copies (they contain this case, or the loose signal: ``exports.documents``
    ``loose_signal_chapter``)."""
    names: set[str] = set()
    for model, ids in plan.ids.items():
        if not ids:
            continue
        file_fields = [f.attname for f in model._meta.concrete_fields
                       if isinstance(f, models.FileField)]
        if file_fields:
            for row in model.objects.filter(pk__in=ids).values_list(*file_fields):
                names.update(n for n in row if n)
            for hmodel in _history_models_of(model):
                for row in hmodel.objects.filter(id__in=ids).values_list(*file_fields):
                    names.update(n for n in row if n)
    if apps.is_installed("exports"):
        job = apps.get_model("exports", "ExportJob")
        names.update(n for n in job.objects.filter(pk__in=plan.ids.get(job, set()))
                     .values_list("file_name", flat=True) if n)
        names.update(n for n in job.objects.filter(access_request__pupil_id__in=plan.pupil_ids)
                     .values_list("file_name", flat=True) if n)
    return names


def _history_models_of(model) -> list:
    return [m for m in apps.get_models() if _is_historical(m) and m.instance_type is model]


def _generic_refs(plan: PurgePlan):
    """(model, Q) for every model that points at collected rows by object_type/object_id,
    or (notifications, reminders) links into the case's pages."""
    labels = {m._meta.label_lower: ids for m, ids in plan.ids.items() if ids}
    for model in apps.get_models():
        names = {f.name for f in model._meta.concrete_fields}
        if model._meta.label_lower in NOT_WALKED:
            continue
        cond = Q(pk__in=[])
        if {"object_type", "object_id"} <= names:
            for label, ids in labels.items():
                cond |= Q(object_type=label, object_id__in=ids)
        if "url" in names and model._meta.app_label in ("notifications", "reminders"):
            cond |= Q(url__startswith=plan.url_prefix) | Q(url__startswith=plan.retention_prefix)
        if cond != Q(pk__in=[]):
            yield model, cond


def execute(plan: PurgePlan) -> dict:
    """Delete everything in ``plan``; returns counts (no ids). Files go after commit.

    Raw deletes: several foreign keys between the collected rows are PROTECT (a decision
    protects its assessment), which Django's collector refuses even when both go. Every
    collected row is deleted in this one transaction, so the (deferred) foreign-key
    constraints hold again at commit.
    """
    from cases.models import AccessLog

    removed: dict[str, int] = {}
    history_rows = 0
    access_log = 0
    # 1. generic references first (they are found by the ids, which are deleted next)
    for model, cond in _generic_refs(plan):
        qs = model.objects.filter(cond)
        n = _delete(qs)
        if not n:
            continue
        if model is AccessLog:
            access_log += n
        elif _is_historical(model):
            history_rows += n
        else:
            removed[model._meta.label_lower] = removed.get(model._meta.label_lower, 0) + n
    # 1b. overviews' rows name what they showed by id: those ids leave the lists
    access_log += _strip_listed(plan)
    # 2. guardian's generic object permissions, if any were ever given on the case
    _delete_generic_guardian(plan)
    # 3. history of every collected id
    for model, ids in plan.ids.items():
        for hmodel in _history_models_of(model):
            qs = hmodel.objects.filter(id__in=ids)
            history_rows += _delete(qs)
    # 4. the rows themselves (the proposal keeps no case or signal id)
    _release_proposals(plan)
    for model, ids in plan.ids.items():
        if not ids:
            continue
        qs = model.objects.filter(pk__in=ids)
        n = _delete(qs)
        if model is AccessLog:
            access_log += n
        elif n:
            removed[model._meta.label_lower] = removed.get(model._meta.label_lower, 0) + n
    # 5. stored inzage copies of the pupils contain this case or signal: their files go, the
    #    job row (ids only) stays as the record that a copy was made.
    if apps.is_installed("exports"):
        from django.utils import timezone

        job = apps.get_model("exports", "ExportJob")
        job.objects.filter(access_request__pupil_id__in=plan.pupil_ids).exclude(
            file_name="").update(file_name="", file_removed_at=timezone.now())
    files = sorted(plan.files)
    transaction.on_commit(lambda: _delete_files(files))
    return {"removed": dict(sorted(removed.items())), "history_rows": history_rows,
            "access_log": access_log, "files": len(files)}


def _release_proposals(plan: PurgePlan) -> None:
    """Proposals outlive their subject without its id (the raw delete below does not apply
    SET_NULL). The root's waiting approval is the one being carried out (one per subject);
    a waiting approval of another purged signal (a loose signal's, whose signal then went
    with a case after all) lapses first, because a waiting approval keeps its subject."""
    from django.utils import timezone
    from django.utils.translation import gettext as _
    from signals.models import Signal

    from .models import DestructionProposal, ProposalState

    signal_ids = set(plan.ids.get(Signal, set()))
    (DestructionProposal.objects.filter(signal_id__in=signal_ids - {plan.signal_id},
                                        state=ProposalState.APPROVED)
     .update(state=ProposalState.INVALID, invalidated_at=timezone.now(),
             invalid_reason=_("Het signaal is met een dossier vernietigd.")))
    if plan.case_id is not None:
        DestructionProposal.objects.filter(case_id=plan.case_id).update(case=None)
    DestructionProposal.objects.filter(signal_id__in=signal_ids).update(signal=None)


def _strip_listed(plan: PurgePlan) -> int:
    """Remove the collected ids from the access log's overview rows (``listed_ids``: one row
    per overview shown, with the ids of the cases or signals in it); a row whose list ends
    empty is deleted. Returns the number of ids removed, each of which stood for one object
    shown, as a per-object row did before."""
    from cases.models import AccessLog
    from cases.services import LISTED_TYPES

    removed = 0
    for model, ids in plan.ids.items():
        label = model._meta.label_lower
        if not ids or label not in LISTED_TYPES:
            continue
        ids = set(ids)
        cond = Q(pk__in=[])
        for pk in sorted(ids):
            cond |= Q(listed_ids__has_id=pk)
        # A case shown in every list view for years is in thousands of rows: rewritten in
        # batches, not a statement per row.
        kept, emptied = [], []
        for row in AccessLog.objects.filter(cond, object_type=label).only("pk", "listed_ids"):
            left = [i for i in row.listed_ids if i not in ids]
            removed += len(row.listed_ids) - len(left)
            if left:
                row.listed_ids = left
                kept.append(row)
            else:
                emptied.append(row.pk)
        AccessLog.objects.bulk_update(kept, ["listed_ids"], batch_size=500)
        _delete(AccessLog.objects.filter(pk__in=emptied))
    return removed


def _delete(qs) -> int:
    """Delete without Django's collector (see ``execute``); the number of rows."""
    return qs._raw_delete(qs.db) or 0


def _delete_generic_guardian(plan: PurgePlan) -> None:
    if not apps.is_installed("guardian"):
        return
    from guardian.models import GroupObjectPermission, UserObjectPermission

    for model, ids in plan.ids.items():
        if not ids:
            continue
        ct = ContentType.objects.get_for_model(model, for_concrete_model=True)
        for perm_model in (UserObjectPermission, GroupObjectPermission):
            qs = perm_model.objects.filter(content_type=ct, object_pk__in=[str(i) for i in ids])
            _delete(qs)


def _delete_files(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            # No case content in logs: the storage name is random (attachment_path).
            logger.exception("retention: could not delete a stored file %s", name)
