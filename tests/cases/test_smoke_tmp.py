import pytest
from django.urls import reverse
pytestmark = pytest.mark.django_db

def test_smoke(verified_client, ib, case, records, django_assert_max_num_queries):
    verified_client.force_login(ib)
    for name in ["list", "open"]:
        r = verified_client.get(reverse("cases:" + name)); assert r.status_code == 200, name
    records.consultation(case, ib); records.vt_advice(case, ib); records.conversation(case, ib)
    records.verwijsindex(case, ib); records.sot_discussion(case, ib)
    from django.test.utils import CaptureQueriesContext
    from django.db import connection
    for name in ["detail", "timeline", "history", "access_log"]:
        with CaptureQueriesContext(connection) as ctx:
            r = verified_client.get(reverse("cases:" + name, args=[case.pk]))
        print(name, len(ctx))
        if name == "detail":
            for q in ctx.captured_queries: print("   ", q["sql"][:150])
        assert r.status_code == 200, name
    print(r.content.decode()[-3000:])
