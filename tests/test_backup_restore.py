"""Backup and restore (issue 7, docs/backup.md): a ``pg_dump -Fc`` of the database restored
with ``pg_restore`` into a fresh database holds the same cases, records and history.

PostgreSQL only (pg_dump cannot read SQLite): run with
``DATABASE_URL=postgres://postgres@127.0.0.1:5432/<name>``. The data is written through the
real services and workflow, committed (``transaction=True``) so that pg_dump sees it.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import psycopg
import pytest
from django.apps import apps
from django.db import connection

from cases.models import (AccessLog, Case, CaseSignal, Conversation, Step, StepTransition)
from cases.services import case_open, log_access, record_save
from schools.roles import Role, sync_role_groups
from signals.models import Signal, SignalVersion
from tests.cases.conftest import create_conversation, create_pupil, create_signal, walk_to_step
from tests.factories import SchoolFactory, staff

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="backup/restore uses pg_dump: run with a PostgreSQL DATABASE_URL"),
    pytest.mark.skipif(not (shutil.which("pg_dump") and shutil.which("pg_restore")),
                       reason="pg_dump/pg_restore are not installed"),
]


def _pg_args(settings: dict) -> tuple[list[str], dict]:
    args = ["-h", settings["HOST"] or "127.0.0.1", "-p", str(settings["PORT"] or 5432)]
    if settings["USER"]:
        args += ["-U", settings["USER"]]
    env = dict(os.environ)
    if settings["PASSWORD"]:
        env["PGPASSWORD"] = settings["PASSWORD"]
    return args, env


def _conninfo(settings: dict, dbname: str) -> str:
    return psycopg.conninfo.make_conninfo(
        host=settings["HOST"] or "127.0.0.1", port=settings["PORT"] or 5432,
        user=settings["USER"] or None, password=settings["PASSWORD"] or None, dbname=dbname)


def _rows(conn, model, ids=None) -> list[tuple]:
    """Every column of the model's rows (optionally only these ids), ordered by key."""
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(model._meta.pk.column)
    if ids is None:
        return conn.execute(f"SELECT * FROM {table} ORDER BY {pk}").fetchall()
    return conn.execute(f"SELECT * FROM {table} WHERE {pk} = ANY(%s) ORDER BY {pk}",
                        [list(ids)]).fetchall()


def _write_cases():
    """Two cases through the services: signals, open, step moves, a record created and
    edited, access-log rows. Returns the case ids."""
    sync_role_groups()  # the role groups' permissions (flushed between transactional tests)
    school = SchoolFactory()
    teacher = staff(Role.LEERKRACHT, school)
    ib = staff(Role.IB, school)
    case_ids = []
    for n, step in enumerate((Step.GESPREK, Step.WEGEN)):
        pupil = create_pupil(school)
        signal = create_signal(school=school, recorded_by=teacher, pupils=pupil,
                               facts=f"Blauwe plek op de arm, waarneming {n}.",
                               child_words="Ik ben gevallen.")
        case = case_open(pupil=pupil, actor=ib, signals=[signal])
        case = walk_to_step(case, step, ib)
        record = create_conversation(case, ib, step=case.step,
                                     discussed="Eerste versie van het gesprek.")
        record.discussed = "Gecorrigeerde versie van het gesprek: moeder was aanwezig."
        record_save(record=record, actor=ib, base_version=record.lock_version,
                    reason="correctie")
        log_access(user=ib, obj=case)
        case_ids.append(case.pk)
    return case_ids


@pytest.mark.django_db(transaction=True)
def test_dump_restored_into_a_fresh_database_holds_the_same_cases_and_history(tmp_path):
    case_ids = _write_cases()
    cases = list(Case.objects.filter(pk__in=case_ids))
    # What must come back, row by row: the cases, their history, step transitions, records
    # with their history, signals with versions and links, and the access log.
    checks = {
        Case: case_ids,
        Case.history.model: Case.history.filter(id__in=case_ids).values_list("history_id",
                                                                             flat=True),
        StepTransition: StepTransition.objects.filter(case__in=cases).values_list("pk", flat=True),
        Conversation: Conversation.objects.filter(case__in=cases).values_list("pk", flat=True),
        Conversation.history.model: Conversation.history.filter(case_id__in=case_ids)
        .values_list("history_id", flat=True),
        CaseSignal: CaseSignal.objects.filter(case__in=cases).values_list("pk", flat=True),
        Signal: Signal.objects.filter(case_links__case__in=cases).values_list("pk", flat=True),
        SignalVersion: SignalVersion.objects.filter(signal__case_links__case__in=cases)
        .values_list("pk", flat=True),
        AccessLog: AccessLog.objects.filter(case__in=cases).values_list("pk", flat=True),
    }
    checks = {model: sorted(ids) for model, ids in checks.items()}
    # The story really has history: opened + two moves per case, a record edited once.
    assert len(checks[Case.history.model]) >= 2 * 3
    assert len(checks[Conversation.history.model]) >= 2 * 2
    assert len(checks[StepTransition]) >= 2 * 3

    settings = connection.settings_dict
    source = settings["NAME"]
    target = f"{source}_restored"[:63]
    args, env = _pg_args(settings)
    dump = tmp_path / "meldcode.dump"
    subprocess.run(["pg_dump", *args, "-Fc", "--no-owner", "-f", str(dump), source],
                   env=env, check=True, capture_output=True)

    with connection._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{target}"')
        cursor.execute(f'CREATE DATABASE "{target}"')
    try:
        result = subprocess.run(
            ["pg_restore", *args, "--no-owner", "--exit-on-error", "-d", target, str(dump)],
            env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr

        with psycopg.connect(_conninfo(settings, source)) as original, \
                psycopg.connect(_conninfo(settings, target)) as restored:
            for model, ids in checks.items():
                before = _rows(original, model, ids)
                assert len(before) == len(ids) > 0, model
                assert _rows(restored, model, ids) == before, model._meta.label
            # And nothing else went missing: every table holds as many rows.
            for model in apps.get_models(include_auto_created=True):
                if model._meta.proxy or not model._meta.managed:
                    continue
                table = connection.ops.quote_name(model._meta.db_table)
                sql = f"SELECT count(*) FROM {table}"
                assert (restored.execute(sql).fetchone() == original.execute(sql).fetchone()), \
                    model._meta.db_table
            # Sequences were restored too: the next case id does not collide.
            case_table = Case._meta.db_table
            seq = restored.execute("SELECT pg_get_serial_sequence(%s, 'id')",
                                   [case_table]).fetchone()[0]
            assert restored.execute(f"SELECT last_value FROM {seq}").fetchone()[0] >= max(
                case_ids)
    finally:
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
    with connection._nodb_cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [target])
        assert cursor.fetchone() is None
