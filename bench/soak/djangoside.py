"""The soak run's work inside Django: create the simulated staff, and count what was stored.

Run by ``bench/soak/run.py`` as a subprocess with the production settings and the soak
database (never by hand against a real database):

    python bench/soak/djangoside.py users  < spec.json   # create users, print nothing
    python bench/soak/djangoside.py count  < marker.json # print JSON counts

``users`` reads ``{"users": [{"username", "role", "school": "a"|"b", "group": int|null,
"key": hex}], "password": str}`` and creates each account with its role at the demo school
and a confirmed TOTP device with the given key (the load generator computes the codes).
``count`` reads ``{"marker": str, "since": iso}`` and returns what the database holds.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meldcode.settings.base")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import transaction  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from core import demo  # noqa: E402
from schools.models import Board, Membership, School, SchoolClass  # noqa: E402


@transaction.atomic
def create_users(spec: dict) -> None:
    User = get_user_model()
    board = Board.objects.get(name=demo.BOARD_NAME)
    schools = {key: School.objects.get(brin_code=brin) for key, (_n, brin) in demo.SCHOOLS.items()}
    password = make_password(spec["password"])
    for row in spec["users"]:
        user, _ = User.objects.update_or_create(username=row["username"], defaults={
            "first_name": "Soak", "last_name": row["username"], "is_active": True,
            "email": f"{row['username']}@soak.invalid", "password": password})
        school = schools[row["school"]]
        Membership.objects.filter(user=user).delete()
        membership = Membership.objects.create(user=user, board=board, school=school,
                                               role=row["role"], starts_on=demo.STAFF_SINCE)
        if row.get("group"):
            cls = SchoolClass.objects.filter(school=school, name=f"groep {row['group']}").first()
            if cls is not None:
                membership.classes.set([cls])
        TOTPDevice.objects.filter(user=user).delete()
        TOTPDevice.objects.create(user=user, name="default", key=row["key"], confirmed=True)


def count(spec: dict) -> dict:
    """Rows written by the soak run (found by the marker it put in every text it typed)."""
    from cases.models import Conversation
    from exports.models import ExportJob, JobStatus
    from notifications.models import Notification
    from signals.models import Signal

    marker, since = spec["marker"], spec["since"]
    signals = Signal.objects.filter(recorded_by__username__startswith="soak.",
                                    versions__facts__contains=marker).distinct()
    signal_tokens = sorted(set(
        Signal.objects.filter(pk__in=signals.values("pk"))
        .values_list("versions__facts", flat=True)))
    records = Conversation.objects.filter(discussed__contains=marker)
    jobs = ExportJob.objects.filter(requester__username__startswith="soak.", created_at__gte=since)
    notes = (Notification.objects.filter(object_type="signals.signal",
                                         object_id__in=signals.values("pk"))
             .select_related("user"))
    mails_expected = sorted(f"{n.user.email} {n.url}" for n in notes
                            if n.user.email and not n.digest_pending)
    return {
        "signals": signals.count(),
        "signal_facts": signal_tokens,
        "records": records.count(),
        "record_texts": sorted(records.values_list("discussed", flat=True)),
        "history_records": sum(1 for _ in Conversation.history.filter(discussed__contains=marker)
                               .values_list("pk")),
        # By the status's English name: done, failed, queued, running.
        "export_jobs": {JobStatus(status).name.lower(): jobs.filter(status=status).count()
                        for status in jobs.values_list("status", flat=True).distinct()},
        "export_job_ids": sorted(jobs.values_list("pk", flat=True)),
        "notifications": notes.count(),
        "mails_expected": mails_expected,
    }


if __name__ == "__main__":
    command = sys.argv[1]
    data = json.load(sys.stdin)
    if command == "users":
        create_users(data)
    elif command == "count":
        json.dump(count(data), sys.stdout)
    else:
        raise SystemExit(f"unknown command {command}")
