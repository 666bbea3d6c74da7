"""Two people clicking at the same moment (PostgreSQL only: SQLite has no row locks).

Each request runs in its own thread and connection; a barrier releases them together. The
case row lock serialises them: one confirmation destroys, the other finds the case gone; of
two first approvals one wins and the other is refused.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from cases.models import Case
from retention import services
from retention.models import DestructionProposal, Tombstone

from .conftest import due_case

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.skipif(connection.vendor != "postgresql",
                                 reason="row locks need PostgreSQL")]


def _race(calls):
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception as exc:  # noqa: BLE001 - the outcome is what is asserted
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_two_simultaneous_confirmations_destroy_once(school, vc, director):
    case = due_case(school, vc)
    first = services.destruction_approve(case_id=case.pk, actor=vc, stage="goedkeuren")
    results = _race([lambda: services.destruction_approve(
        case_id=case.pk, actor=director, stage="bevestigen", proposal_id=first.pk)] * 2)
    errors = [r for r in results if isinstance(r, services.RetentionError)]
    assert len(errors) == 1, results
    assert Tombstone.objects.count() == 1
    assert not Case.objects.filter(pk=case.pk).exists()


def test_two_simultaneous_first_approvals_make_one_proposal(school, vc, director):
    case = due_case(school, vc)
    results = _race([
        lambda: services.destruction_approve(case_id=case.pk, actor=vc, stage="goedkeuren"),
        lambda: services.destruction_approve(case_id=case.pk, actor=director,
                                             stage="goedkeuren")])
    assert sum(isinstance(r, services.RetentionError) for r in results) == 1, results
    assert DestructionProposal.objects.count() == 1
    assert Case.objects.filter(pk=case.pk).exists()  # neither became a confirmation
