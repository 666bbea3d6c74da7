"""Temporary: print the actual permission matrix (not committed)."""
import json

import pytest
from django.urls import reverse

from .test_permission_matrix import LOGIN, NOT_IN_MATRIX, ROLES, _outcome, all_url_names
from .world import build_world

ARGS = {}


def guess_args(name, pattern_params, w):
    o = w.obj
    app, short = name.split(":") if ":" in name else ("", name)
    out = []
    for p in pattern_params:
        if p == "case_pk":
            out.append(o["case"].pk)
        elif p == "meeting_pk":
            out.append(o["meeting"].pk)
        elif p == "school_pk":
            out.append(o["school"].pk)
        elif p == "user_id":
            out.append(w.users["invited"].pk)
        elif p == "pk":
            key = None
            if app == "cases":
                for prefix, k in [("vir", "vir"), ("consultation", "consultation"), ("vt_advice", "vt_advice"),
                                  ("conversation", "conversation"), ("parent_contact", "parent_contact"),
                                  ("sot_discussion", "discussion"), ("sot_", "meeting")]:
                    if short.startswith(prefix):
                        key = k
                        break
                key = key or "case"
            elif app == "signals":
                key = "attachment" if short == "attachment" else "signal"
            elif app == "notifications":
                key = "notification"
            elif app == "schools":
                key = {"pupil": "pupil", "parent": "parent", "class": "klass", "person": None,
                       "membership": None}.get(short.split("_")[0], None)
            out.append(o[key].pk if key else 0)
        else:
            out.append(0)
    return out


@pytest.mark.django_db
def test_discover(verified_client):
    verified_client.raise_request_exception = False
    from django.urls import get_resolver
    resolver = get_resolver()
    results = {}
    from django.db import transaction
    for name in sorted(all_url_names() - set(NOT_IN_MATRIX)):
        sid = transaction.savepoint()
        world = build_world()
        possibilities = resolver.reverse_dict.getlist(name.split(":")[-1]) if ":" not in name else None
        # find params via reverse with kwargs inspection
        from django.urls import resolvers
        ns, short = name.split(":") if ":" in name else ("", name)
        r = resolver.namespace_dict[ns][1] if ns else resolver
        entries = r.reverse_dict.getlist(short)
        params = entries[0][0][0][1] if entries else []
        args = guess_args(name, params, world)
        try:
            url = reverse(name, args=args)
        except Exception as exc:
            results[name] = {"error": str(exc)[:200]}
            transaction.savepoint_rollback(sid)
            continue
        row = {}
        for method in ("get", "post"):
            codes = {}
            for role in ROLES:
                verified_client.logout()
                if role != "anon":
                    verified_client.force_login(world.users[role])
                codes[role] = _outcome(getattr(verified_client, method)(url))
            row[method] = codes
        results[name] = {"url": url, **row}
        transaction.savepoint_rollback(sid)
    with open("/tmp/matrix.json", "w") as f:
        json.dump(results, f, indent=1, default=str)
