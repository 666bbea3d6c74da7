#!/usr/bin/env python
"""Region-scale data on PostgreSQL for the page benchmark (issue 8), in minutes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/meldcode_region \
        .venv/bin/python bench/seed_region.py --scale 1.0
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/meldcode_region_tenth \
        .venv/bin/python bench/seed_region.py --scale 0.1

Drops and recreates the database named in DATABASE_URL (refuses names that do not contain
``region``), migrates it (so every constraint and index is the one Django makes), then
bulk-loads with PostgreSQL ``COPY`` (rows built in Python, explicit ids) and ``INSERT ...
SELECT`` for the history and access-log tables. At scale 1.0:

- 5 boards, 500 schools; per school 8 groups, 240 pupils with a parent each, 26 staff (20
  leerkrachten, IB'er, veiligheidscoördinator, directeur, 3 SOT members) plus a beheerder
  and a bestuurder per board; 20 SOT meetings attended by the SOT, IB'er and directeur;
- 60 cases per school (30,000): 65 % open spread over the six steps, 35 % closed, each with
  its step transitions and two signals (140 signals per school with versions and pupil links;
  20 not yet in a case, half of those not yet seen);
- 600,000 case records: collegial consultations, conversations, Veilig Thuis advice,
  Verwijsindex registrations (schools that use it), SOT discussions, afwegingskader
  assessments and decisions, follow-up actions and evaluations. The first case of each
  school has exactly 100 step records (the "case with 100 records" of the benchmark);
- guardian invitations for 30 % of the cases, 1.5 million access-log rows, unread
  notifications, and more than 3 million django-simple-history rows (creation plus edits).

Scale 0.1 keeps everything per school and has a tenth of the schools (50). Prints the row
counts and the time taken. Bench users (no password: the runner creates sessions directly):
``leerkracht-0-0``, ``ib-0``, ``vc-0``, ``directeur-0``, ``sot-0-0`` at the first school.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCHOOLS = 500
BOARDS = 5
CLASSES = 8
PUPILS_PER_SCHOOL = 240
TEACHERS = 20
SOT_MEMBERS = 3
MEETINGS = 20
CASES_PER_SCHOOL = 60
CASE_SIGNALS = 2
LOOSE_SIGNALS = 20
BIG_CASE_RECORDS = 100
ACCESS_LOG_PER_CASE = 50

SENTENCES = [
    "Leerling kwam de afgelopen week drie keer zonder ontbijt en met dezelfde kleding op school.",
    "Moeder gaf aan dat het thuis onrustig is sinds de verhuizing; vader is weinig thuis.",
    "Blauwe plekken op de bovenarm gezien tijdens de gymles; leerling zegt gevallen te zijn.",
    "Afgesproken dat de IB'er contact opneemt met de jeugdverpleegkundige voor advies.",
    "Leerling trekt zich terug in de klas en reageert schrikachtig op harde geluiden.",
    "In het gesprek werden de zorgen besproken; ouders herkennen het beeld gedeeltelijk.",
    "Veilig Thuis adviseert het gesprek met ouders te voeren en de signalen te blijven vastleggen.",
    "Over twee weken evalueren we samen met de leerkracht en de ouders of de afspraken werken.",
]


def text(rng: random.Random, n: int = 2) -> str:
    return " ".join(rng.choice(SENTENCES) for _ in range(n))


# --- bulk loading ---------------------------------------------------------------------------

class Loader:
    """COPY rows into a model's table; values by attname, the rest from field defaults."""

    def __init__(self, connection, now, today):
        self.connection, self.now, self.today = connection, now, today
        self.counts: dict[str, int] = {}
        self._ids: dict[type, int] = {}

    def next_id(self, model) -> int:
        self._ids[model] = self._ids.get(model, 0) + 1
        return self._ids[model]

    def _defaults(self, model) -> tuple[list, list, set]:
        from django.db import models

        names, defaults, json_cols = [], [], set()
        for f in model._meta.concrete_fields:
            names.append(f.attname)
            if isinstance(f, models.JSONField):
                json_cols.add(f.attname)
            if f.primary_key or f.is_relation:
                value = None  # given per row (a missing one fails on NOT NULL)
            elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value = self.now if isinstance(f, models.DateTimeField) else self.today
            elif f.has_default():
                value = f.get_default()
            elif f.null:
                value = None
            elif isinstance(f, (models.CharField, models.TextField)):
                value = f.choices[0][0] if f.choices else ("" if f.blank else "-")
            elif isinstance(f, models.BooleanField):
                value = False
            elif isinstance(f, models.DateTimeField):
                value = self.now
            elif isinstance(f, models.DateField):
                value = self.today
            elif isinstance(f, models.JSONField):
                value = []
            elif isinstance(f, (models.IntegerField, models.FloatField)):
                value = 0
            else:
                raise ValueError(f"{model.__name__}.{f.name} needs a value")
            defaults.append(value)
        return names, defaults, json_cols

    def copy(self, model, rows) -> int:
        """``rows``: iterable of dicts (attname -> value); ``id`` must be given."""
        names, defaults, json_cols = self._defaults(model)
        columns = ", ".join(f'"{_column(model, n)}"' for n in names)
        n = 0
        with self.connection.cursor() as cursor:
            with cursor.cursor.copy(
                    f'COPY "{model._meta.db_table}" ({columns}) FROM STDIN') as copy:
                for row in rows:
                    values = []
                    for name, default in zip(names, defaults):
                        value = row.get(name, default)
                        if name in json_cols and value is not None:
                            value = json.dumps(value)
                        values.append(value)
                    copy.write_row(values)
                    n += 1
        self.counts[model._meta.label] = self.counts.get(model._meta.label, 0) + n
        return n

    def sql(self, statement: str, params=None) -> int:
        with self.connection.cursor() as cursor:
            cursor.execute(statement, params)
            return cursor.rowcount


def _column(model, attname: str) -> str:
    for f in model._meta.concrete_fields:
        if f.attname == attname:
            return f.column
    raise KeyError(attname)


def history(loader: Loader, model, versions: int, *, user=None, date=None) -> int:
    """Historical rows for every row of ``model``: one creation plus ``versions - 1`` edits."""
    hist = model.history.model
    base_cols = {f.column for f in model._meta.concrete_fields}
    cols = [f.column for f in hist._meta.concrete_fields
            if not f.name.startswith("history_") and f.column in base_cols]
    user = user or next((c for c in ("author_id", "recorded_by_id", "actor_id", "opened_by_id",
                                     "created_by_id", "added_by_id", "uploaded_by_id")
                         if c in base_cols), None)
    date = date or next((c for c in ("created_at", "recorded_at", "at", "opened_at", "added_at",
                                     "uploaded_at") if c in base_cols), None)
    date_sql = f"b.{date}" if date else "now() - interval '400 days'"
    user_sql = f"b.{user}" if user else "NULL"
    collist = ", ".join(f'"{c}"' for c in cols)
    select = ", ".join(f'b."{c}"' for c in cols)
    n = loader.sql(
        f'INSERT INTO "{hist._meta.db_table}" ({collist}, history_date, history_change_reason, '
        f'history_type, history_user_id) '
        f"SELECT {select}, {date_sql} + (g - 1) * interval '3 days', NULL, "
        f"CASE WHEN g = 1 THEN '+' ELSE '~' END, {user_sql} "
        f'FROM "{model._meta.db_table}" b CROSS JOIN generate_series(1, %s) g', [versions])
    loader.counts[f"history: {hist._meta.label}"] = n
    return n


# --- the region -----------------------------------------------------------------------------

def seed(scale: float, seed_value: int = 8) -> dict:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission
    from django.db import connection
    from django.utils import timezone

    from afwegingskader.models import (Assessment, Decision, DecisionChoice, Evaluation,
                                       EvaluationOutcome, FollowUpAction)
    from cases.models import (Case, CaseSignal, CaseUserObjectPermission, CloseReason,
                              Consultation, Conversation, SotDiscussion, SotMeeting, Status,
                              StepTransition, TransitionKind, VeiligThuisAdvice,
                              VerwijsindexRegistration)
    from notifications.models import Notification
    from schools.models import (Board, Membership, Parent, Pupil, PupilParent, Relationship,
                                School, SchoolClass)
    from schools.roles import Role
    from signals.models import Category, Signal, SignalPupil, SignalVersion

    User = get_user_model()
    rng = random.Random(seed_value)
    now = timezone.now()
    today = timezone.localdate()
    L = Loader(connection, now, today)
    n_schools = max(1, round(SCHOOLS * scale))
    year = f"{today.year if today.month >= 8 else today.year - 1}-" \
           f"{(today.year if today.month >= 8 else today.year - 1) + 1}"
    long_ago = datetime.date(2020, 8, 1)

    def days_ago(d: float) -> datetime.datetime:
        return now - datetime.timedelta(days=d)

    # Boards, schools -----------------------------------------------------------------------
    L.copy(Board, ({"id": b + 1, "name": f"Stichting Regio {b + 1}"} for b in range(BOARDS)))
    schools = []
    for s in range(n_schools):
        schools.append({"id": s + 1, "board_id": s % BOARDS + 1, "name": f"Basisschool {s:03d}",
                        "brin_code": f"{s:04d}RG", "verwijsindex_enabled": s % 3 == 0})
    L.copy(School, schools)

    # Staff and memberships -----------------------------------------------------------------
    users, memberships, member_classes = [], [], []
    staff: dict[int, dict] = {}

    def user(username: str, first: str, last: str) -> int:
        uid = len(users) + 1
        users.append({"id": uid, "username": username, "first_name": first, "last_name": last,
                      "email": f"{username}@school.invalid", "password": "!", "is_active": True,
                      "date_joined": days_ago(900)})
        return uid

    def member(uid: int, board: int, school: int | None, role: str) -> int:
        mid = len(memberships) + 1
        memberships.append({"id": mid, "user_id": uid, "board_id": board, "school_id": school,
                            "role": role, "starts_on": long_ago})
        return mid

    for b in range(BOARDS):
        member(user(f"beheerder-{b}", "Beheer", f"Bestuur {b}"), b + 1, None, Role.BEHEERDER)
        member(user(f"bestuurder-{b}", "Bestuurder", f"Bestuur {b}"), b + 1, None, Role.BESTUUR)
    for s in schools:
        i, sid, bid = s["id"] - 1, s["id"], s["board_id"]
        st = staff[sid] = {"teachers": [], "sot": []}
        for t in range(TEACHERS):
            uid = user(f"leerkracht-{i}-{t}", "Leerkracht", f"{t} van school {i}")
            mid = member(uid, bid, sid, Role.LEERKRACHT)
            st["teachers"].append(uid)
            if t < 2 * CLASSES:
                member_classes.append((mid, (sid - 1) * CLASSES + t % CLASSES + 1))
        for key, role, first in (("ib", Role.IB, "Intern"), ("vc", Role.VC, "Veiligheid"),
                                 ("directeur", Role.DIRECTEUR, "Directeur")):
            st[key] = uid = user(f"{key}-{i}", first, f"school {i}")
            member(uid, bid, sid, role)
        for m in range(SOT_MEMBERS):
            uid = user(f"sot-{i}-{m}", "SOT-lid", f"{m} van school {i}")
            member(uid, bid, sid, Role.SOT)
            st["sot"].append(uid)
    L.copy(User, users)
    L.copy(Membership, memberships)
    through = Membership.classes.through
    L.copy(SchoolClass, ({"id": (s["id"] - 1) * CLASSES + c + 1, "school_id": s["id"],
                          "name": f"groep {c + 1}", "school_year": year}
                         for s in schools for c in range(CLASSES)))
    L.copy(through, ({"id": k + 1, "membership_id": m, "schoolclass_id": c}
                     for k, (m, c) in enumerate(member_classes)))

    # Pupils and parents ----------------------------------------------------------------------
    def pupils():
        for s in schools:
            for p in range(PUPILS_PER_SCHOOL):
                group = p % CLASSES
                pid = (s["id"] - 1) * PUPILS_PER_SCHOOL + p + 1
                yield {"id": pid, "school_id": s["id"],
                       "school_class_id": (s["id"] - 1) * CLASSES + group + 1,
                       "external_id": f"{pid:07d}", "first_name": rng.choice(
                           ["Sanne", "Daan", "Noor", "Liam", "Emma", "Sem", "Julia", "Milan"]),
                       "last_name": f"Achternaam{pid}",
                       "date_of_birth": datetime.date(today.year - 5 - group, 1 + p % 12, 1)}
    L.copy(Pupil, pupils())
    n_pupils = n_schools * PUPILS_PER_SCHOOL
    L.copy(Parent, ({"id": p, "school_id": (p - 1) // PUPILS_PER_SCHOOL + 1,
                     "name": f"Ouder van leerling {p}", "email": f"ouder{p}@example.invalid"}
                    for p in range(1, n_pupils + 1)))
    L.copy(PupilParent, ({"id": p, "pupil_id": p, "parent_id": p,
                          "relationship": Relationship.MOTHER} for p in range(1, n_pupils + 1)))

    # SOT meetings ----------------------------------------------------------------------------
    meetings, attendees = [], []
    for s in schools:
        st = staff[s["id"]]
        for m in range(MEETINGS):
            mid = (s["id"] - 1) * MEETINGS + m + 1
            meetings.append({"id": mid, "school_id": s["id"],
                             "held_on": today - datetime.timedelta(days=14 * (MEETINGS - 1 - m)),
                             "chair_id": st["ib"], "created_by_id": st["ib"]})
            for uid in (*st["sot"], st["ib"], st["directeur"]):
                attendees.append({"id": len(attendees) + 1, "sotmeeting_id": mid,
                                  "user_id": uid})
    L.copy(SotMeeting, meetings)
    L.copy(SotMeeting.attendees.through, attendees)

    # Cases, signals, transitions, records --------------------------------------------------
    cases, transitions, signals, versions, links, case_links = [], [], [], [], [], []
    rec: dict[type, list] = {m: [] for m in (Consultation, Conversation, VeiligThuisAdvice,
                                             VerwijsindexRegistration, SotDiscussion,
                                             FollowUpAction, Evaluation)}
    assessments, decisions, grants = [], [], []
    view_case = Permission.objects.get(codename="view_case", content_type__app_label="cases").pk
    steps_open = [1] * 30 + [2] * 20 + [3] * 15 + [4] * 15 + [5] * 10 + [6] * 10
    categories = Category.values
    STEP_OF = {Consultation: 2, VeiligThuisAdvice: 2, Conversation: 3, VerwijsindexRegistration: 1,
               SotDiscussion: 4}

    def record(model, case: dict, author: int, on: datetime.date, **extra):
        row = {"id": L.next_id(model), "case_id": case["id"], "author_id": author,
               "created_at": datetime.datetime.combine(on, datetime.time(12), now.tzinfo),
               **extra}
        if model in STEP_OF:
            row.update(step=STEP_OF[model], occurred_on=on,
                       participants=[{"name": "Ouder", "role": "moeder"}])
        if model is Consultation:
            row.update(consulted="jeugdverpleegkundige", question=text(rng, 1),
                       advice=text(rng), agreed_actions=text(rng, 1))
        elif model is Conversation:
            row.update(purpose=text(rng, 1), discussed=text(rng, 2), reactions=text(rng, 1),
                       agreements=text(rng, 1), with_pupil=rng.random() < 0.3)
        elif model is VeiligThuisAdvice:
            row.update(adviser="adviseur Veilig Thuis", question=text(rng, 1), advice=text(rng))
        elif model is VerwijsindexRegistration:
            row.update(review_on=on + datetime.timedelta(days=365), parents_informed=True)
        elif model is SotDiscussion:
            row.update(nature_severity=text(rng, 1), risk_assessment=text(rng, 1),
                       agreed_approach=text(rng, 1))
        elif model is FollowUpAction:
            row.update(description=text(rng, 1), owner_id=author,
                       due_on=on + datetime.timedelta(days=30),
                       done_on=on + datetime.timedelta(days=20) if rng.random() < 0.7 else None)
        elif model is Evaluation:
            row.update(evaluated_on=on, outcome=rng.choice(EvaluationOutcome.values),
                       note=text(rng, 2))
        rec[model].append(row)

    for s in schools:
        sid, st = s["id"], staff[s["id"]]
        leads = (st["ib"], st["vc"])
        signal_base = len(signals)
        for k in range(CASES_PER_SCHOOL + LOOSE_SIGNALS // CASE_SIGNALS):
            for j in range(CASE_SIGNALS):
                sig_id = len(signals) + 1
                in_case = k < CASES_PER_SCHOOL
                age = rng.uniform(30, 700) if in_case else rng.uniform(0, 20)
                teacher = st["teachers"][(k + j) % TEACHERS]
                pupil_id = (sid - 1) * PUPILS_PER_SCHOOL + (k * 4) % PUPILS_PER_SCHOOL + 1
                seen = in_case or (k + j) % 2 == 0
                signals.append({"id": sig_id, "school_id": sid, "recorded_by_id": teacher,
                                "recorded_at": days_ago(age), "category": rng.choice(categories),
                                "observed_on": (now - datetime.timedelta(days=age + 1)).date(),
                                "disclosure": rng.random() < 0.1,
                                "acknowledged_at": days_ago(age - 0.5) if seen else None,
                                "acknowledged_by_id": st["ib"] if seen else None})
                versions.append({"id": sig_id, "signal_id": sig_id, "number": 1,
                                 "facts": text(rng, 2), "interpretation": text(rng, 1),
                                 "author_id": teacher, "created_at": days_ago(age)})
                links.append({"id": sig_id, "signal_id": sig_id, "pupil_id": pupil_id})
        for k in range(CASES_PER_SCHOOL):
            cid = len(cases) + 1
            big = k == 0
            closed = not big and rng.random() < 0.35
            step = 6 if closed else (4 if big else rng.choice(steps_open))
            opened = rng.uniform(40, 700)
            owner = leads[k % 5 == 4]
            case = {"id": cid, "school_id": sid,
                    "pupil_id": (sid - 1) * PUPILS_PER_SCHOOL + (k * 4) % PUPILS_PER_SCHOOL + 1,
                    "number": f"{2024 + k % 3}-{k + 1:04d}", "step": step,
                    "step_entered_at": days_ago(opened * (0.3 if step > 1 else 1)),
                    "status": Status.CLOSED if closed else Status.OPEN, "owner_id": owner,
                    "opened_by_id": owner, "opened_at": days_ago(opened),
                    "meldcode_version": "Meldcode 2019 met afwegingskader onderwijs",
                    "closed_at": days_ago(opened * 0.1) if closed else None,
                    "close_reason": rng.choice(CloseReason.values) if closed else "",
                    "close_explanation": text(rng, 1) if closed else ""}
            cases.append(case)
            for j in range(CASE_SIGNALS):
                sig = signals[signal_base + k * CASE_SIGNALS + j]
                case_links.append({"id": len(case_links) + 1, "case_id": cid,
                                   "signal_id": sig["id"], "added_by_id": owner,
                                   "added_at": days_ago(opened)})
            transitions.append({"id": len(transitions) + 1, "case_id": cid,
                                "kind": TransitionKind.OPEN, "to_step": 1, "actor_id": owner,
                                "at": days_ago(opened)})
            for to in range(2, step + 1):
                transitions.append({"id": len(transitions) + 1, "case_id": cid,
                                    "kind": TransitionKind.FORWARD, "from_step": to - 1,
                                    "to_step": to, "actor_id": owner,
                                    "at": days_ago(opened * (1 - to / 8))})
            if closed:
                transitions.append({"id": len(transitions) + 1, "case_id": cid,
                                    "kind": TransitionKind.CLOSE, "from_step": 6, "to_step": 6,
                                    "actor_id": owner, "at": case["closed_at"],
                                    "reason": case["close_explanation"]})
            if rng.random() < 0.3:
                grants.append({"id": len(grants) + 1, "content_object_id": cid,
                               "user_id": st["teachers"][k % TEACHERS],
                               "permission_id": view_case})

            def on() -> datetime.date:
                return (now - datetime.timedelta(days=rng.uniform(1, opened))).date()

            meetings_of_school = (sid - 1) * MEETINGS
            if big:
                plan = ([Consultation] * 25 + [Conversation] * 30 + [VeiligThuisAdvice] * 15
                        + [VerwijsindexRegistration] * (10 if s["verwijsindex_enabled"] else 0))
                plan += [Consultation] * (BIG_CASE_RECORDS - MEETINGS - len(plan))
                n_sot = MEETINGS
            else:
                n = rng.randint(6, 27)
                plan = []
                for _ in range(n):
                    x = rng.random()
                    if x < 0.30:
                        plan.append(Consultation)
                    elif x < 0.60:
                        plan.append(Conversation)
                    elif x < 0.72:
                        plan.append(VeiligThuisAdvice)
                    elif x < 0.77 and s["verwijsindex_enabled"]:
                        plan.append(VerwijsindexRegistration)
                    elif x < 0.92 and step >= 5:
                        plan.append(FollowUpAction)
                    elif step >= 6:
                        plan.append(Evaluation)
                    else:
                        plan.append(Consultation)
                n_sot = rng.randint(1, 4) if step >= 4 else 0
            for model in plan:
                author = rng.choice((*leads, st["teachers"][k % TEACHERS]))
                record(model, case, author, on())
            for t in range(n_sot):
                m = meetings[meetings_of_school + (k + t) % MEETINGS]
                record(SotDiscussion, case, st["ib"], m["held_on"], meeting_id=m["id"])
            if step >= 5:
                aid = len(assessments) + 1
                assessments.append({
                    "id": aid, "case_id": cid, "author_id": owner, "updated_by_id": owner,
                    "created_at": days_ago(opened * 0.4),
                    "q1": True, "q1_justification": text(rng, 1), "q2": "ja",
                    "q2_justification": text(rng, 1), "q3": False,
                    "q3_justification": text(rng, 1), "q4": True,
                    "q4_justification": text(rng, 1), "q5": True,
                    "q5_justification": text(rng, 1),
                    "meldcode_version": case["meldcode_version"]})
                if step == 6:
                    choice = rng.choice(DecisionChoice.values)
                    decisions.append({
                        "id": len(decisions) + 1, "case_id": cid, "author_id": owner,
                        "assessment_id": aid, "choice": choice, "created_at": days_ago(opened * 0.35),
                        "decided_on": (now - datetime.timedelta(days=opened * 0.35)).date(),
                        "motivation": text(rng, 2), "advice_outcome": "hulp_en_melden",
                        "reporter_id": owner, "present": [st["ib"], st["directeur"]],
                        "meldcode_version": case["meldcode_version"]})

    L.copy(Signal, signals)
    L.copy(SignalVersion, versions)
    L.copy(SignalPupil, links)
    L.copy(Case, cases)
    L.copy(CaseSignal, case_links)
    L.copy(StepTransition, transitions)
    L.copy(CaseUserObjectPermission, grants)
    for model, rows in rec.items():
        L.copy(model, rows)
    L.copy(Assessment, assessments)
    L.copy(Decision, decisions)
    n_records = sum(len(r) for r in rec.values()) + len(assessments) + len(decisions)
    del signals, versions, links, case_links, transitions, rec

    # Notifications: a few unread for every staff member at a school ------------------------
    L.copy(Notification, ({"id": n + 1, "user_id": uid, "kind": "signaal",
                           "school_id": None, "url": "/meldingen/",
                           "created_at": days_ago(n % 30)}
                          for n, uid in enumerate(u["id"] for u in users for _ in range(3))))

    # Access log: every case read many times (INSERT ... SELECT) ----------------------------
    n_log = L.sql(
        "INSERT INTO cases_accesslog (user_id, school_id, case_id, object_type, object_id, "
        "action, at) SELECT c.owner_id, c.school_id, c.id, 'case', c.id, 'bekeken', "
        "c.opened_at + g * interval '5 hours' FROM cases_case c "
        "CROSS JOIN generate_series(1, %s) g", [ACCESS_LOG_PER_CASE])
    L.counts["cases.AccessLog"] = n_log

    # History: creation rows for everything tracked, edits for what gets edited -------------
    from django.db import transaction  # noqa: F401  (autocommit: each statement commits)

    for model, versions_n in ((School, 1), (Pupil, 1), (Parent, 1), (PupilParent, 1),
                              (Membership, 1), (SotMeeting, 2), (Signal, 2), (SignalVersion, 1),
                              (SignalPupil, 1), (Case, 5), (CaseSignal, 1), (StepTransition, 1),
                              (Consultation, 4), (Conversation, 4), (VeiligThuisAdvice, 4),
                              (VerwijsindexRegistration, 3), (SotDiscussion, 4),
                              (FollowUpAction, 3), (Evaluation, 1), (Assessment, 4),
                              (Decision, 1)):
        history(L, model, versions_n)
    n_history = sum(v for k, v in L.counts.items() if k.startswith("history: "))

    # Sequences after explicit ids ------------------------------------------------------------
    from django.apps import apps
    from django.core.management.color import no_style

    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), apps.get_models(
                include_auto_created=True)):
            cursor.execute(statement)
        cursor.execute("VACUUM ANALYZE")
    return {"schools": n_schools, "cases": len(cases), "records": n_records,
            "history": n_history, "access_log": n_log, "counts": L.counts}


TEMPLATE = "meldcode_region_template"


def recreate(url: str, *, from_template: bool) -> None:
    """Drop and create the database; from the migrated template when there is one."""
    import environ
    import psycopg

    config = environ.Env.db_url_config(url)
    name = config["NAME"]
    if "postgresql" not in config["ENGINE"] or "region" not in name:
        sys.exit("DATABASE_URL must be a PostgreSQL database whose name contains 'region'")
    with psycopg.connect(host=config["HOST"] or "127.0.0.1", port=config["PORT"] or 5432,
                         user=config["USER"], password=config["PASSWORD"] or None,
                         dbname="postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                              [TEMPLATE]).fetchone()
        if from_template and exists:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
        else:
            conn.execute(f'CREATE DATABASE "{name}"')


def _has_template() -> bool:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [TEMPLATE])
        return cursor.fetchone() is not None


def _make_template(url: str) -> None:
    """Keep the freshly migrated, still empty database as the template for the next run."""
    from django.db import connection

    name = connection.settings_dict["NAME"]
    connection.close()
    import psycopg

    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{TEMPLATE}" TEMPLATE "{name}"')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--no-template", action="store_true",
                        help=f"migrate from scratch instead of cloning {TEMPLATE} (the empty "
                             "migrated database the first run leaves behind)")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    recreate(url, from_template=not args.no_template)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meldcode.settings.bench")
    import django

    django.setup()
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0)  # a no-op on an up-to-date clone of the template
    if args.no_template or not _has_template():
        _make_template(url)
    migrated = time.perf_counter()
    print(f"migrated in {migrated - started:.0f} s", flush=True)
    info = seed(args.scale)
    done = time.perf_counter()
    for label, n in sorted(info["counts"].items()):
        print(f"  {label:55} {n:>10,}")
    print(f"\nscale {args.scale}: {info['schools']} schools, {info['cases']:,} cases, "
          f"{info['records']:,} case records, {info['history']:,} history rows, "
          f"{info['access_log']:,} access-log rows; seeded in {done - migrated:.0f} s "
          f"(load average {os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
