#!/usr/bin/env python
"""Page benchmark at region scale (issue 8): every main page beside a bare Django page.

    .venv/bin/python bench/region.py                      # everything, 3 rounds of 10 s
    .venv/bin/python bench/region.py --rounds 5 --duration 20
    .venv/bin/python bench/region.py --pages floor,case --no-pdf --no-reminders

Needs the two databases made by ``bench/seed_region.py`` (``--full`` and ``--tenth``, default
``meldcode_region`` and ``meldcode_region_tenth`` on postgres://postgres@127.0.0.1:5432) and
``wrk`` (/usr/bin/wrk). Steps, all in one run:

1. In a Django process per database (``meldcode.settings.bench``: production settings plus the
   floor page): create two-factor-verified sessions directly (a session holding the user and
   the TOTP device, as after a real login) for 8 users per page at 8 schools; request every
   page once through the test client to check the status (200, 302 for the POST), count its
   queries (the second request, warm) and time it in-process (median of ``--samples``
   requests, pages interleaved). At full scale also: EXPLAIN (ANALYZE, BUFFERS) of the
   permission-filtered case list (IB'er, SOT member, leerkracht with an invitation), the
   reminder scan (``reminders.services.run_scan`` over the region, rolled back afterwards) and
   the PDF of a 100-record dossier (``bench/pdf_render.render_once``).
2. Serve the full-scale database with gunicorn as in the Dockerfile (gthread, 3 workers x 4
   threads; DEBUG off, persistent connections), after ``collectstatic`` into var/bench-static.
3. Load: ``wrk -t2 -c8`` per page, ``--rounds`` rounds of ``--duration`` seconds, pages in
   turn (round-robin) so that all of them see the same machine; one warm-up round first.
   Per page: req/s = all requests / all seconds; p50/p95/p99 = median over the rounds of
   wrk's per-round percentiles; ratio = req/s / the floor's req/s.
4. Write ``bench/results/region-<date>.md`` (``--out``) with the machine, date and the load
   average beside every round, and print it.

Pages: floor (bare view, 50 pupils, no session cookie, bench urlconf only), writefloor (bare
POST saving one row with its history row, bench urlconf only: the yardstick for writes), teacher
(leerkracht's dashboard), signal (POST of a new signal), cases (IB'er's case list), case (the
page of a case with 100 step records), sot (the SOT agenda of the latest meeting, as a SOT
member), director (directeur's dashboard).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = ["floor", "writefloor", "teacher", "signal", "cases", "case", "sot", "director"]
# Pages answered with a redirect (302): the POSTs.
POSTS = {"writefloor", "signal"}
USERS_PER_PAGE = 8
PG = "postgres://postgres@127.0.0.1:5432/"
CSRF_SECRET = "benchbenchbenchbenchbenchbench12"  # 32 characters, as Django's cookie holds


# --- in-process part (one database per process) ---------------------------------------------

def _session(user) -> str:
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device, _ = TOTPDevice.objects.get_or_create(user=user, name="default",
                                                 defaults={"confirmed": True})
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "core.auth.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store["otp_device_id"] = device.persistent_id
    store.save()
    return store.session_key


def _page_requests(pages: list[str]) -> dict[str, dict]:
    """Per page: the requests (one per user) and the expected status."""
    from urllib.parse import urlencode

    from django.conf import settings
    from django.contrib.auth import get_user_model

    from cases.models import Case, SotMeeting
    from schools.models import School
    from signals.forms import pupil_choices

    User = get_user_model()
    cookie_name = settings.SESSION_COOKIE_NAME
    # The signal POSTs go to the next eight schools: a thousand new signals a round at the
    # schools the other pages read would have every other page measured mostly as its first
    # rebuild after a write (that cost is the "rendered" column and the cache-off run).
    every = list(School.objects.order_by("pk")[:2 * USERS_PER_PAGE])
    schools, post_schools = every[:USERS_PER_PAGE], every[USERS_PER_PAGE:]

    def cookie(username: str) -> str:
        key = _session(User.objects.get(username=username))
        return f"{cookie_name}={key}; {settings.CSRF_COOKIE_NAME}={CSRF_SECRET}"

    out: dict[str, dict] = {}
    for page in pages:
        reqs = []
        for i, school in enumerate(schools):
            if page == "floor":
                reqs.append(("GET", "/bench/vloer/", "-", "-"))
            elif page == "writefloor":
                reqs.append(("POST", "/bench/vloer/schrijven/", "-",
                             urlencode({"tekst": f"Vloer {i}: een regel met geschiedenis."})))
            elif page == "teacher":
                reqs.append(("GET", "/", cookie(f"leerkracht-{i}-0"), "-"))
            elif page == "director":
                reqs.append(("GET", "/", cookie(f"directeur-{i}"), "-"))
            elif page == "cases":
                reqs.append(("GET", "/dossiers/", cookie(f"ib-{i}"), "-"))
            elif page == "case":
                big = Case.objects.filter(school=school).order_by("pk").first()
                reqs.append(("GET", f"/dossiers/{big.pk}/", cookie(f"ib-{i}"), "-"))
            elif page == "sot":
                meeting = SotMeeting.objects.filter(school=school).order_by("-held_on").first()
                reqs.append(("GET", f"/dossiers/sot/{meeting.pk}/", cookie(f"sot-{i}-0"), "-"))
            elif page == "signal":
                n = USERS_PER_PAGE + i
                user = User.objects.get(username=f"leerkracht-{n}-1")
                _choices, pupils = pupil_choices(user, post_schools[i])
                body = urlencode({
                    "csrfmiddlewaretoken": CSRF_SECRET,
                    "observed_on": datetime.date.today().isoformat(),
                    "facts": "Leerling kwam vandaag zonder jas en zonder eten op school; "
                             "zegt dat er thuis niemand was.",
                    "child_words": "", "interpretation": "", "source": "eigen_waarneming",
                    "source_detail": "", "category": "verwaarlozing",
                    "leerlingen-TOTAL_FORMS": "1", "leerlingen-INITIAL_FORMS": "0",
                    "leerlingen-MIN_NUM_FORMS": "0", "leerlingen-MAX_NUM_FORMS": "1000",
                    "leerlingen-0-pupil": str(next(iter(pupils))),
                    "leerlingen-0-role": "betrokken"})
                reqs.append(("POST", "/signalen/nieuw/", cookie(f"leerkracht-{n}-1"), body))
            else:
                raise SystemExit(f"unknown page {page}")
        out[page] = {"requests": reqs, "expected": 302 if page in POSTS else 200}
    return out


def _client_request(client, method: str, path: str, cookie: str, body: str):
    client.cookies.clear()
    if cookie != "-":
        for part in cookie.split("; "):
            name, value = part.split("=", 1)
            client.cookies[name] = value
    if method == "POST":
        return client.post(path, body, content_type="application/x-www-form-urlencoded")
    return client.get(path)


def _explain(sql: str, params) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def _explains() -> dict[str, str]:
    """The case list's two queries (page and count) for three kinds of access."""
    from django.contrib.auth import get_user_model

    from cases.models import CaseUserObjectPermission
    from cases.selectors import cases_visible_to

    User = get_user_model()
    grant = CaseUserObjectPermission.objects.select_related("user").order_by("pk").first()
    who = {"IB'er (school role)": User.objects.get(username="ib-0"),
           "SOT member (meetings attended)": User.objects.get(username="sot-0-0"),
           "leerkracht (invitation)": grant.user}
    out = {}
    for label, user in who.items():
        qs = cases_visible_to(user).filter(status="open")
        page_sql, params = qs.order_by("-opened_at", "-pk")[:50].query.sql_with_params()
        out[f"{label}: page"] = _explain(page_sql, params)
        count_sql, cparams = qs.order_by().values("pk").query.sql_with_params()
        out[f"{label}: count"] = _explain(f"SELECT COUNT(*) FROM ({count_sql}) sub", cparams)
    return out


def _reminder_scan() -> dict:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from reminders.services import run_scan

    class Rollback(Exception):
        pass

    out = {}
    try:
        with transaction.atomic():
            for label in ("first", "second"):
                with CaptureQueriesContext(connection) as ctx:
                    started = time.perf_counter()
                    result = run_scan()
                    seconds = time.perf_counter() - started
                out[label] = {"seconds": seconds, "queries": len(ctx),
                              **{k: v for k, v in result.as_dict().items()
                                 if isinstance(v, (int, float))}}
            raise Rollback
    except Rollback:
        pass
    return out


def _pdf(runs: int = 2) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.pdf_render import render_once
    from cases.models import Case

    ib = get_user_model().objects.get(username="ib-0")
    case = Case.objects.filter(owner__username__in=["ib-0", "vc-0"]).order_by("pk").first()
    times = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            pdf = render_once(case.pk, ib, False)
            times.append(time.perf_counter() - started)
    return {"seconds": times, "queries": len(ctx), "pages": pdf.pages,
            "split": list(pdf.split)}


def inprocess(args) -> None:
    os.environ["DATABASE_URL"] = args.db
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meldcode.settings.bench")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    pages = args.pages.split(",")
    specs = _page_requests(pages)
    client = Client(HTTP_HOST="127.0.0.1", enforce_csrf_checks=True)
    result: dict = {"pages": {}, "loadavg": os.getloadavg()[0]}
    for page, spec in specs.items():
        first = spec["requests"][0]
        for _ in range(2):
            response = _client_request(client, *first)
        with CaptureQueriesContext(connection) as ctx:
            response = _client_request(client, *first)
        if response.status_code != spec["expected"]:
            import re

            errors = re.findall(r'class="errorlist[^"]*"[^>]*>(.*?)</ul>',
                                response.content.decode(errors="replace"), re.S)
            raise SystemExit(f"{page}: status {response.status_code}, expected "
                             f"{spec['expected']} ({first[0]} {first[1]}) {errors[:5]}")
        result["pages"][page] = {"queries": len(ctx), "times": [], "cpu": [],
                                 "sql": [q["sql"][:200] for q in ctx.captured_queries]}
    def sample(times: str, cpus: str) -> None:
        """``args.samples`` requests per page, pages interleaved: wall and CPU seconds."""
        for n in range(args.samples):
            for page, spec in specs.items():
                req = spec["requests"][n % len(spec["requests"])]
                started, cpu = time.perf_counter(), time.process_time()
                _client_request(client, *req)
                result["pages"][page][times].append(time.perf_counter() - started)
                result["pages"][page][cpus].append(time.process_time() - cpu)

    sample("times", "cpu")
    # The same pages rendered on every request (the fragment cache off): what a page costs
    # after a write at its school, and the figure the full-vs-tenth comparison is about.
    from django.test import override_settings

    with override_settings(MELDCODE_FRAGMENT_CACHE=False):
        for page, spec in specs.items():
            with CaptureQueriesContext(connection) as ctx:
                _client_request(client, *spec["requests"][0])
            result["pages"][page].update(rendered_queries=len(ctx), rendered_times=[],
                                         rendered_cpu=[])
        sample("rendered_times", "rendered_cpu")
    result["requests"] = specs
    if args.extras:
        import traceback

        extras = [("explain", _explains)]
        if not args.no_reminders:
            extras.append(("reminders", _reminder_scan))
        if not args.no_pdf:
            extras.append(("pdf", _pdf))
        for key, step in extras:
            try:
                result[key] = step()
            except Exception:  # one failed extra must not lose the page measurements
                traceback.print_exc()
                result.setdefault("failed", []).append(key)
    print("RESULT " + json.dumps(result, default=str))


# --- the run --------------------------------------------------------------------------------

def run_inprocess(db: str, args, extras: bool) -> dict:
    cmd = [sys.executable, __file__, "--_inprocess", "--db", db, "--pages", args.pages,
           "--samples", str(args.samples)]
    if extras:
        cmd.append("--_extras")
    if args.no_pdf:
        cmd.append("--no-pdf")
    if args.no_reminders:
        cmd.append("--no-reminders")
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
    if proc.returncode or not line:
        sys.exit(f"in-process step failed for {db}:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}")
    return json.loads(line[len("RESULT "):])


def collectstatic(db: str) -> None:
    env = {**os.environ, "DATABASE_URL": db, "DJANGO_SETTINGS_MODULE": "meldcode.settings.bench"}
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
                   cwd=ROOT, env=env, check=True)


def prepare_write_floor(db: str) -> None:
    """The write floor's tables exist (``bench`` migrations) and start empty in every run."""
    env = {**os.environ, "DATABASE_URL": db, "DJANGO_SETTINGS_MODULE": "meldcode.settings.bench"}
    subprocess.run([sys.executable, "manage.py", "migrate", "bench", "--noinput", "-v0"],
                   cwd=ROOT, env=env, check=True)
    subprocess.run(["psql", db, "-qc", "TRUNCATE bench_floorwrite, bench_historicalfloorwrite"],
                   check=True)


def start_server(db: str, args) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": db, "DJANGO_SETTINGS_MODULE": "meldcode.settings.bench"}
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    proc = subprocess.Popen(
        [gunicorn, "meldcode.wsgi:application", "--bind", f"127.0.0.1:{args.port}",
         "--worker-class", "gthread", "--workers", str(args.workers), "--threads",
         str(args.threads), "--timeout", "60", "--no-control-socket",
         # Not the Dockerfile's --max-requests 10000: at this synthetic rate every worker
         # would be replaced every minute or two (a new process, an empty fragment cache),
         # where a school's load takes hours to reach it. A run with it: --max-requests.
         *(["--max-requests", str(args.max_requests), "--max-requests-jitter",
            str(args.max_requests // 10)] if args.max_requests else []),
         "--worker-tmp-dir", "/dev/shm",
         "--error-logfile", str(ROOT / "var" / "bench-gunicorn.log"), "--log-level", "warning"],
        cwd=ROOT, env=env)
    import urllib.request

    for _ in range(120):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{args.port}/gezond/", timeout=2)
            return proc
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    sys.exit("gunicorn did not come up; see var/bench-gunicorn.log")


def cpu_seconds(server_pid: int | None) -> dict[str, float]:
    """CPU seconds (user + system) used so far by the web server (gunicorn's master and its
    workers), PostgreSQL (every server process) and Redis, read from /proc. The difference
    over a round, divided by its requests, is what a request costs the machine, a figure that
    depends much less than req/s on what else the host is running."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {"app": 0.0, "db": 0.0, "redis": 0.0}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        seconds = (int(fields[11]) + int(fields[12])) / tick
        pid, ppid = int(entry.name), int(fields[1])
        if server_pid and server_pid in (pid, ppid):
            out["app"] += seconds
        elif comm.startswith("postgres"):
            out["db"] += seconds
        elif comm.startswith("redis-server"):
            out["redis"] += seconds
    return out


def wrk(page: str, spec: dict, seconds: int, args) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as f:
        for req in spec["requests"]:
            f.write("\t".join(req) + "\n")
    load = os.getloadavg()[0]
    before = cpu_seconds(getattr(args, "server_pid", None))
    proc = subprocess.run(
        [args.wrk, "-t2", f"-c{args.concurrency}", f"-d{seconds}s", "--timeout", "10s",
         "-s", str(ROOT / "bench" / "wrk_pages.lua"), f"http://127.0.0.1:{args.port}",
         "--", f.name, str(spec["expected"])], capture_output=True, text=True)
    os.unlink(f.name)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("{")), None)
    if not line:
        sys.exit(f"wrk failed for {page}:\n{proc.stdout}\n{proc.stderr}")
    after = cpu_seconds(getattr(args, "server_pid", None))
    return {**json.loads(line), "loadavg": load,
            "cpu": {k: after[k] - before[k] for k in after}}


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text()
                .splitlines() if line.startswith("model name")), platform.processor())
    pg = subprocess.run(["psql", PG + "postgres", "-Atc", "SHOW server_version"],
                        capture_output=True, text=True).stdout.strip()
    return (f"{platform.node()}, {os.cpu_count()} cores ({cpu}), "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}, "
            f"PostgreSQL {pg or '?'} on the same host")


def report(args, full: dict, tenth: dict | None, load: dict[str, list]) -> str:
    pages = args.pages.split(",")
    now = datetime.datetime.now(datetime.timezone.utc)
    lines = [f"# Region benchmark, {now:%Y-%m-%d %H:%M} UTC", "",
             f"Machine: {machine()}.", "",
             f"Command: `{' '.join([Path(sys.executable).name, 'bench/region.py', *sys.argv[1:]])}`"
             f" — wrk -t2 -c{args.concurrency}, {args.rounds} rounds x {args.duration} s per "
             f"page (round-robin, after a {args.warmup} s warm-up round), gunicorn gthread "
             f"{args.workers} workers x {args.threads} threads"
             + (f", a worker replaced after about {args.max_requests} requests "
                f"(--max-requests)" if getattr(args, "max_requests", 0) else
                ", no --max-requests") + ".", "",
             "Fragment cache (`core.fragments`): "
             + ("**off** (`MELDCODE_FRAGMENT_CACHE=0`): every request renders its page."
                if os.environ.get("MELDCODE_FRAGMENT_CACHE", "1").lower() in ("0", "false", "off")
                else "**on** (the default): after each worker's first request per user and "
                     "page, pages come from process memory until their content changes (the "
                     "signal POSTs go to eight other schools, so the other pages are measured "
                     "as served in a steady state; a page after a write is the 'rendered' "
                     "pass below)."), ""]
    if load:
        floor = load.get("floor")
        floor_rps = (sum(r["requests"] for r in floor) / sum(r["duration_us"] for r in floor)
                     * 1e6) if floor else None
        lines += ["## Throughput and latency at concurrency %d (full scale)" % args.concurrency,
                  "", "The ratio is the page's req/s over all rounds divided by the floor's; the "
                  "median ratio is the median over the rounds of the page's req/s in a round "
                  "divided by the floor's in the same round (rounds are minutes apart at most, "
                  "so a burst of load from outside the benchmark weighs less).",
                  "", "| page | req/s | p50 ms | p95 ms | p99 ms | ratio to floor | "
                  "median ratio | unexpected status / socket errors | load avg (per round) |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
        for page in pages:
            rounds = load[page]
            rps = sum(r["requests"] for r in rounds) / sum(r["duration_us"] for r in rounds) * 1e6
            med = {p: statistics.median(r[f"{p}_us"] for r in rounds) / 1000
                   for p in ("p50", "p95", "p99")}
            ratio = f"{rps / floor_rps:.2f}" if floor_rps else "—"
            per_round = ([r["requests"] / r["duration_us"] / (f["requests"] / f["duration_us"])
                          for r, f in zip(rounds, floor)] if floor else [])
            median_ratio = f"{statistics.median(per_round):.2f}" if per_round else "—"
            bad = sum(r["unexpected_status"] for r in rounds)
            err = sum(r["socket_errors"] for r in rounds)
            loads = " ".join(f"{r['loadavg']:.1f}" for r in rounds)
            lines.append(f"| {page} | {rps:.1f} | {med['p50']:.1f} | {med['p95']:.1f} | "
                         f"{med['p99']:.1f} | {ratio} | {median_ratio} | {bad} / {err} | "
                         f"{loads} |")
        lines.append("")
        if "writefloor" in load and "signal" in load:
            def rps_of(page):
                return (sum(r["requests"] for r in load[page])
                        / sum(r["duration_us"] for r in load[page]) * 1e6)

            write_rps, signal_rps = rps_of("writefloor"), rps_of("signal")
            lines += [f"Writes: the write floor (one row and its history row in one "
                      f"transaction, no session or checks) ran at {write_rps:.1f} req/s"
                      + (f", {write_rps / floor_rps:.2f}x the read floor" if floor_rps else "")
                      + f"; the signal POST at {signal_rps / write_rps:.2f}x the write floor.",
                      ""]
        if floor and all("cpu" in r for page in pages for r in load[page]):
            def per_request(rounds) -> dict[str, float]:
                n = sum(r["requests"] for r in rounds)
                return {k: sum(r["cpu"][k] for r in rounds) * 1000 / n
                        for k in ("app", "db", "redis")}

            floor_cpu = sum(per_request(floor).values())
            lines += ["CPU per request (ms; the rounds' CPU seconds of the gunicorn processes, "
                      "of PostgreSQL and of Redis from /proc, over their requests). The CPU "
                      "ratio is the floor's total over the page's: about the throughput ratio the "
                      "page would have on a machine doing nothing else.", "",
                      "| page | web (gunicorn) | PostgreSQL | Redis | total | CPU ratio |",
                      "|---|---:|---:|---:|---:|---:|"]
            for page in pages:
                c = per_request(load[page])
                total = sum(c.values())
                lines.append(f"| {page} | {c['app']:.2f} | {c['db']:.2f} | {c['redis']:.2f} | "
                             f"{total:.2f} | {floor_cpu / total:.2f} |")
            lines.append("")
    lines += ["## Queries and in-process page time, full vs 1/10 scale", "",
              f"Test client in one process, median of {args.samples} requests per page "
              f"(pages interleaved). Load average at the start: full "
              f"{full['loadavg']:.1f}" + (f", 1/10 {tenth['loadavg']:.1f}" if tenth else "") + ".",
              "Wall time includes waiting for PostgreSQL (and for the CPU on a loaded machine); "
              "CPU is this process's own (Python) time. Queries are counted on a warm request. "
              "Two passes: as served (from the fragment cache when it is on) and rendered on "
              "every request (the cache off: the page after a write at its school).",
              ""]
    variants = [("as served", "queries", "times", "cpu")]
    if "rendered_times" in full["pages"][pages[0]]:
        variants.append(("rendered", "rendered_queries", "rendered_times", "rendered_cpu"))
    for title, qkey, tkey, ckey in variants:
        lines += [f"**{title}**", "", "| page | queries full | queries 1/10 | ms full | ms 1/10 "
                  "| full / tenth | CPU ms full | CPU ms 1/10 | CPU full / tenth |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for page in pages:
            f = full["pages"][page]
            t = tenth["pages"][page] if tenth else None
            mf = statistics.median(f[tkey]) * 1000
            mt = statistics.median(t[tkey]) * 1000 if t else None
            cf = statistics.median(f[ckey]) * 1000
            ct = statistics.median(t[ckey]) * 1000 if t else None
            lines.append(f"| {page} | {f[qkey]} | {t[qkey] if t else '—'} | {mf:.1f} | "
                         + (f"{mt:.1f} | {mf / mt:.2f} |" if t else "— | — |")
                         + f" {cf:.1f} | " + (f"{ct:.1f} | {cf / ct:.2f} |" if t else "— | — |"))
        lines.append("")
    if full.get("failed"):
        lines += [f"Failed (traceback on stderr): {', '.join(full['failed'])}.", ""]
    if "reminders" in full:
        r = full["reminders"]
        lines += ["## Reminder scan over the region (rolled back afterwards)", "",
                  "| scan | seconds | queries | details |", "|---|---:|---:|---|"]
        for label, v in r.items():
            detail = ", ".join(f"{k} {v[k]}" for k in v if k not in ("seconds", "queries"))
            lines.append(f"| {label} | {v['seconds']:.2f} | {v['queries']} | {detail} |")
        lines.append("")
    if "pdf" in full:
        p = full["pdf"]
        lines += ["## PDF of the 100-record dossier at region scale", "",
                  f"Runs: {', '.join(f'{s:.2f} s' for s in p['seconds'])} (the first pays "
                  f"for fonts and imports); {p['queries']} queries; split of the last run "
                  f"(data, HTML, WeasyPrint): "
                  f"{', '.join(f'{s:.2f} s' for s in p['split'])}; pages {p['pages']}.", ""]
    if "explain" in full:
        lines += ["## EXPLAIN (ANALYZE, BUFFERS) of the permission-filtered case list "
                  "(full scale)", ""]
        for label, plan in full["explain"].items():
            seq = [x.strip() for x in plan.splitlines() if "Seq Scan" in x]
            lines += [f"### {label}", "", "Sequential scans: "
                      + ("; ".join(f"`{s}`" for s in seq) if seq else "none"), "",
                      "```", plan, "```", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", default=PG + "meldcode_region")
    parser.add_argument("--tenth", default=PG + "meldcode_region_tenth",
                        help="'' to skip the 1/10 comparison")
    parser.add_argument("--pages", default=",".join(PAGES))
    parser.add_argument("--duration", type=int, default=10, help="seconds per page per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=3, help="seconds per page, not counted")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--samples", type=int, default=20,
                        help="in-process requests per page and scale")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--max-requests", type=int, default=0,
                        help="gunicorn's --max-requests (the Dockerfile: 10000); 0 = none")
    parser.add_argument("--wrk", default="/usr/bin/wrk")
    parser.add_argument("--no-load", action="store_true", help="skip gunicorn and wrk")
    parser.add_argument("--no-pdf", action="store_true")
    parser.add_argument("--no-reminders", action="store_true")
    parser.add_argument("--out", default=None)
    parser.add_argument("--_inprocess", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--_extras", dest="extras", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--from-json", help="write the report again from a run's .json "
                        "(give the run's other options too, for its header)")
    args = parser.parse_args()
    if args._inprocess:
        inprocess(args)
        return 0
    if args.from_json:
        raw = json.loads(Path(args.from_json).read_text())
        text = report(args, raw["full"], raw["tenth"] or None, raw["load"])
        out = Path(args.out or Path(args.from_json).with_suffix(".md"))
        if out.exists() and out.read_text().startswith("# Region benchmark, "):
            # Keep the run's own date and command; say that the tables were written again.
            old = out.read_text().splitlines()
            command = next((x for x in old if x.startswith("Command: ")), None)
            lines = text.splitlines()
            lines[0] = old[0]
            if command:
                lines = [command if x.startswith("Command: ") else x for x in lines]
            text = "\n".join(lines) + (f"\n\n(Tables written again from `{args.from_json}` on "
                                        f"{datetime.date.today().isoformat()}.)")
        out.write_text(text + "\n")
        print(text)
        return 0
    pages = args.pages.split(",")
    collectstatic(args.full)
    for db in filter(None, (args.full, args.tenth)):
        prepare_write_floor(db)
    print(f"in-process at full scale ({args.full}) ...", flush=True)
    full = run_inprocess(args.full, args, extras=True)
    tenth = None
    if args.tenth:
        print(f"in-process at 1/10 scale ({args.tenth}) ...", flush=True)
        tenth = run_inprocess(args.tenth, args, extras=False)
    load: dict[str, list] = {}
    if not args.no_load:
        print("starting gunicorn ...", flush=True)
        server = start_server(args.full, args)
        args.server_pid = server.pid
        try:
            for page in pages:
                wrk(page, full["requests"][page], args.warmup, args)
            for n in range(args.rounds):
                for page in pages:
                    r = wrk(page, full["requests"][page], args.duration, args)
                    load.setdefault(page, []).append(r)
                    print(f"  round {n + 1} {page:9} {r['requests'] / r['duration_us'] * 1e6:8.1f}"
                          f" req/s  p95 {r['p95_us'] / 1000:7.1f} ms  load {r['loadavg']:.1f}",
                          flush=True)
        finally:
            server.terminate()
            server.wait(30)
    text = report(args, full, tenth, load)
    out = Path(args.out or ROOT / "bench" / "results"
               / f"region-{datetime.date.today().isoformat()}.md")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n")
    # The raw figures beside it (without the per-request session cookies).
    raw = {"full": {k: v for k, v in full.items() if k != "requests"},
           "tenth": {k: v for k, v in (tenth or {}).items() if k != "requests"}, "load": load}
    out.with_suffix(".json").write_text(json.dumps(raw, indent=1, default=str) + "\n")
    print(text)
    print(f"\nwritten to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
