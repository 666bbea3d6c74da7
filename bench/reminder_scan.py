#!/usr/bin/env python
"""Benchmark of the reminder scan (issue 5): 30,000 open cases, 5% of them due.

Not a test. Run on PostgreSQL:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/meldcode .venv/bin/python bench/reminder_scan.py

It creates a scratch database ``<name>_reminder_bench`` next to the one in DATABASE_URL (it never
touches that one), migrates it, bulk-inserts boards, schools, staff, pupils and cases, and runs
``reminders.services.run_scan`` the way the beat task does (Celery eager, e-mails to memory):

1. the first scan over 30,000 open cases, 1,500 of them one term overdue: 1,500 reminders
   recorded, delivered as in-app notifications, one content-free e-mail per owner;
2. a second scan over the same data (steady state: everything already sent, nothing new);
3. both again at 1/10 of the data (3,000 cases, 150 due), to compare the query counts.

Prints wall time and query count of each scan. Target: the first scan under 5 s, and the same
query count at both sizes. Options: ``--cases N`` (default 30000), ``--keep`` (keep the
scratch database), ``--batch N`` (reminders per delivery transaction, default 2000).
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DUE_SHARE = 0.05
CASES_PER_SCHOOL = 300


def scratch_database(url: str) -> tuple[str, dict]:
    import environ

    config = environ.Env.db_url_config(url)
    if "postgresql" not in config["ENGINE"]:
        sys.exit("bench/reminder_scan.py needs DATABASE_URL=postgres://... (PostgreSQL)")
    name = f"{config['NAME']}_reminder_bench"
    return url.rsplit("/", 1)[0] + "/" + name, {**config, "BENCH_NAME": name}


def recreate(config: dict, *, drop_only: bool = False) -> None:
    import psycopg

    conn = psycopg.connect(host=config["HOST"] or "127.0.0.1", port=config["PORT"] or 5432,
                           user=config["USER"], password=config["PASSWORD"] or None,
                           dbname="postgres", autocommit=True)
    with conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{config["BENCH_NAME"]}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{config["BENCH_NAME"]}"')


def seed(n_cases: int) -> dict:
    """Bulk-insert a board's worth of schools with staff, pupils and open cases."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from cases.models import Case, Route, Status
    from reminders.models import DEFAULT_STEP_TERMS, StepTerm
    from schools.models import Board, Membership, Pupil, School
    from schools.roles import Role

    rng = random.Random(5)
    now = timezone.now()
    User = get_user_model()
    n_schools = max(1, n_cases // CASES_PER_SCHOOL)
    board = Board.objects.create(name="Stichting Benchmark")
    schools = School.objects.bulk_create(
        [School(board=board, name=f"School {i}", brin_code=f"{i:04d}BX") for i in range(n_schools)])
    roles = {"ib": Role.IB, "vc": Role.VC, "dir": Role.DIRECTEUR}
    keys = [(k, s.pk) for s in schools for k in roles]
    users = User.objects.bulk_create(
        [User(username=f"{k}{pk}", email=f"{k}{pk}@school.invalid") for k, pk in keys])
    by = dict(zip(keys, users))
    Membership.objects.bulk_create(
        [Membership(user=by[(k, s.pk)], board=board, school=s, role=roles[k],
                    starts_on=datetime.date(2020, 8, 1)) for s in schools for k in roles])
    # A few schools have their own term for step 1 (the per-school subquery is exercised).
    StepTerm.objects.bulk_create([StepTerm(school=s, step=1, days=10) for s in schools[::10]])
    overrides = {s.pk: 10 for s in schools[::10]}

    pupils = Pupil.objects.bulk_create(
        [Pupil(school=schools[i % n_schools], external_id=f"B{i:07d}", first_name="Bench",
               last_name=f"Leerling{i}", date_of_birth=datetime.date(2017, 1, 1))
         for i in range(n_cases)], batch_size=5000)
    due_ids = set(rng.sample(range(n_cases), int(n_cases * DUE_SHARE)))
    cases = []
    for i, pupil in enumerate(pupils):
        school = schools[i % n_schools]
        step = rng.randint(1, 6)
        term = overrides.get(school.pk, DEFAULT_STEP_TERMS[step]) if step == 1 \
            else DEFAULT_STEP_TERMS[step]
        # due: one term plus a bit ago (level 1 only); else well within the term
        age = (datetime.timedelta(days=term, hours=rng.randint(1, 20)) if i in due_ids
               else datetime.timedelta(hours=rng.randint(0, (term - 1) * 24)))
        owner = by[("ib", school.pk)]
        cases.append(Case(school=school, pupil=pupil, number=f"B-{i:07d}", route=Route.MELDCODE,
                          step=step, step_entered_at=now - age, status=Status.OPEN,
                          owner=owner, opened_by=owner, meldcode_version="bench"))
    Case.objects.bulk_create(cases, batch_size=5000)
    return {"schools": n_schools, "cases": n_cases, "due": len(due_ids)}


def wipe() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE reminders_reminder, notifications_notification, reminders_stepterm, "
            "cases_case, schools_pupil, schools_membership, schools_school, schools_board, "
            "auth_user RESTART IDENTITY CASCADE")


PROFILE = False


def scan() -> tuple[float, int, dict]:
    from django.core import mail
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reminders.services import run_scan

    mail.outbox = []
    cpu = time.process_time()
    profiler = None
    if PROFILE:
        import cProfile

        profiler = cProfile.Profile()
    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        result = run_scan()
        seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    if profiler:
        import pstats

        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        slow = sorted(ctx.captured_queries, key=lambda q: -float(q["time"]))[:5]
        for q in slow:
            print(f"  {q['time']} s  {q['sql'][:160]}")
    return seconds, len(ctx), {**result.as_dict(), "mails": len(mail.outbox), "cpu": cpu}


def run_size(n_cases: int) -> dict:
    wipe()
    started = time.perf_counter()
    info = seed(n_cases)
    info["seed_seconds"] = time.perf_counter() - started
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    info["first"] = scan()
    info["second"] = scan()
    return info


def report(label: str, info: dict) -> None:
    print(f"\n{label}: {info['cases']:,} open cases in {info['schools']} schools, "
          f"{info['due']:,} due (seeded in {info['seed_seconds']:.1f} s)")
    for name in ("first", "second"):
        seconds, queries, result = info[name]
        print(f"  {name:6} scan: {seconds:6.2f} s (Python CPU {result['cpu']:.2f} s)  "
              f"{queries:3d} queries  "
              f"due reminders {result['rows']:,} (new {result['new']:,}), sent {result['sent']:,}, "
              f"e-mails {result['mails']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--cases", type=int, default=30_000)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--profile", action="store_true", help="cProfile each scan")
    args = parser.parse_args()
    global PROFILE
    PROFILE = args.profile

    url = os.environ.get("DATABASE_URL", "")
    bench_url, config = scratch_database(url)
    recreate(config)
    os.environ["DATABASE_URL"] = bench_url
    os.environ["MELDCODE_REMINDER_BATCH_SIZE"] = str(args.batch)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meldcode.settings.test")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    try:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        # A running worker has imported the URL modules long before its scan; do that here
        # too, so the timings are of the scan and not of one-off imports.
        from django.urls import reverse

        reverse("cases:detail", args=[1])
        print(f"scratch database {config['BENCH_NAME']} migrated in "
              f"{time.perf_counter() - started:.0f} s")
        full = run_size(args.cases)
        report("full", full)
        tenth = run_size(args.cases // 10)
        report("1/10", tenth)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            recreate(config, drop_only=True)

    first, queries_full = full["first"][0], full["first"][1]
    queries_tenth = tenth["first"][1]
    print(f"\nfirst scan over {args.cases:,} cases: {first:.2f} s (target < 5 s: "
          f"{'met' if first < 5 else 'NOT met'}); queries {queries_full} vs {queries_tenth} at "
          f"1/10 ({'constant' if queries_full == queries_tenth else 'DIFFERENT'})")
    print("load average %.1f %.1f %.1f on %d CPUs (PostgreSQL runs on the same machine)"
          % (*os.getloadavg(), os.cpu_count()))
    return 0 if first < 5 and queries_full == queries_tenth else 1


if __name__ == "__main__":
    sys.exit(main())
