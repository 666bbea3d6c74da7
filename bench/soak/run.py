"""Soak run: simulated staff against gunicorn, PostgreSQL, Redis and Celery, with faults.

    .venv/bin/python bench/soak/run.py [--users 50] [--duration 300] [--no-faults]

See bench/README.md ("soak") for what it does and what it checks. Stdlib only (plus what
the project already installs: psycopg, redis). Exit status 0 when every check passed.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

from client import Browser, TransportError  # noqa: E402

PY = sys.executable
DB_NAME = "meldcode_soak"
PG = "postgres://postgres@127.0.0.1:5432"
REDIS_URL = "redis://127.0.0.1:6379/5"
# The shared cache production has (docker-compose): sessions, roles, 2FA device state, rate
# limits. Its own Redis database, flushed with the broker's.
REDIS_CACHE = "redis://127.0.0.1:6379/6"
PASSWORD = "soak-wachtwoord-" + secrets.token_hex(4)


# --- the stack ----------------------------------------------------------------------------------

def stack_env(workdir: Path, port: int) -> dict:
    env = dict(os.environ)
    env.update({
        "DJANGO_SETTINGS_MODULE": "meldcode.settings.base",  # production
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_DEBUG": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": f"{PG}/{DB_NAME}",
        "DATABASE_CONN_MAX_AGE": "60",  # persistent connections; CONN_HEALTH_CHECKS is on
        "CELERY_BROKER_URL": REDIS_URL,
        "REDIS_CACHE_URL": REDIS_CACHE,
        # django-environ strips one leading slash from the path: four slashes = absolute.
        "EMAIL_URL": f"filemail:///{workdir / 'mail'}",
        # collectstatic is incremental: keep its output between runs.
        "DJANGO_STATIC_ROOT": "/tmp/meldcode-soak-static",
        "DJANGO_MEDIA_ROOT": str(workdir / "media"),
        "MELDCODE_BASE_URL": f"https://127.0.0.1:{port}",
        "DJANGO_LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    })
    env.pop("MELDCODE_DEMO", None)
    return env


def run(cmd, env, **kw):
    return subprocess.run(cmd, env=env, cwd=ROOT, check=True, **kw)


def psql(sql: str, db: str = "postgres") -> str:
    return subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-tAc", sql],
                          check=True, capture_output=True, text=True).stdout.strip()


def setup_database(env, pupils: int, reuse: bool) -> None:
    if not reuse:
        psql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        psql(f"CREATE DATABASE {DB_NAME}")
        log("migrating (production settings)…")
        run([PY, "manage.py", "migrate", "-v0"], env)
        log("seed_demo…")
        # seed_demo refuses without DEBUG: only this one throwaway command runs with it.
        run([PY, "manage.py", "seed_demo", "--pupils", str(pupils)],
            {**env, "DJANGO_DEBUG": "1"}, stdout=subprocess.DEVNULL)
    run([PY, "manage.py", "collectstatic", "--noinput", "-v0"], env)


def make_users(env, n: int) -> list[dict]:
    """The simulated staff: mostly teachers, then IB'ers, VCs and directeuren, two schools."""
    mix = [("leerkracht", 0.6), ("ib", 0.16), ("vc", 0.12), ("directeur", 0.12)]
    counts = {role: max(1, round(n * share)) for role, share in mix}
    counts["leerkracht"] = max(1, n - sum(c for r, c in counts.items() if r != "leerkracht"))
    roles = [role for role, _share in mix for _ in range(counts[role])]
    users = []
    for i, role in enumerate(roles):
        school = "ab"[i % 2]
        users.append({"username": f"soak.{role}.{i:03d}", "role": role, "school": school,
                      "group": (i % 8) + 1 if role == "leerkracht" else None,
                      "key": secrets.token_hex(20)})
    spec = json.dumps({"password": PASSWORD, "users": users})
    run([PY, str(HERE / "djangoside.py"), "users"], env, input=spec, text=True)
    return users


class Proc:
    def __init__(self, name, cmd, env, workdir):
        self.name, self.cmd, self.env = name, cmd, env
        self.logfile = open(workdir / f"{name}.log", "ab")
        self.p = None

    def start(self):
        self.p = subprocess.Popen(self.cmd, env=self.env, cwd=ROOT, stdout=self.logfile,
                                  stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def stop(self, sig=signal.SIGTERM, timeout=60.0) -> float:
        """Signal the process and wait for it to exit; returns the seconds it took."""
        if self.p is None or self.p.poll() is not None:
            return 0.0
        started = time.monotonic()
        self.p.send_signal(sig)
        try:
            self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.p.pid, signal.SIGKILL)
            self.p.wait()
        return time.monotonic() - started


def wait_http(port: int, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if Browser("127.0.0.1", port).get("/gezond/").status == 200:
                return
        except TransportError:
            pass
        time.sleep(0.5)
    raise RuntimeError("gunicorn did not answer /gezond/")


# --- measurements -----------------------------------------------------------------------------

@dataclass
class Sample:
    t: float  # seconds since the load started (request start)
    kind: str
    method: str
    status: int
    elapsed: float
    error: str | None


@dataclass
class Ledger:
    """Everything the server acknowledged, and every request's outcome."""

    t0: float = 0.0
    samples: list[Sample] = field(default_factory=list)
    signals: list[str] = field(default_factory=list)   # marker tokens of acknowledged signals
    records: list[str] = field(default_factory=list)   # marker tokens of acknowledged records
    exports: list[int] = field(default_factory=list)   # ExportJob ids acknowledged
    retries: Counter = field(default_factory=Counter)  # keep-alive GET retries, OTP retyped
    rejected: Counter = field(default_factory=Counter)  # POST answered 200 (form error)
    unexpected: list[str] = field(default_factory=list)
    # The case page read right after an acknowledged record, without that record on it: a
    # page served from the fragment cache that missed the write (core.fragments).
    stale: list[str] = field(default_factory=list)
    fresh_checks: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind, method, status, elapsed, error):
        now = time.monotonic()
        with self.lock:
            self.samples.append(Sample(now - elapsed - self.t0, kind, method, status, elapsed,
                                       error))


# --- the simulated staff ----------------------------------------------------------------------

CASE_LINK = re.compile(r'href="/dossiers/(\d+)/"')
SIGNAL_LINK = re.compile(r'href="/signalen/(\d+)/"')


class StaffMember(threading.Thread):
    def __init__(self, spec, port, ledger: Ledger, stop_at: float, marker: str, think: float,
                 export_gate, rng_seed: int):
        super().__init__(daemon=True, name=spec["username"])
        self.spec, self.ledger, self.stop_at, self.marker = spec, ledger, stop_at, marker
        self.think = think
        self.export_gate = export_gate
        self.rng = random.Random(rng_seed)
        self.browser = Browser("127.0.0.1", port, totp_key=spec["key"], recorder=ledger.record)
        self.case_ids: list[int] = []
        self.signal_ids: list[int] = []
        self.logged_in = False

    def pause(self):
        time.sleep(self.rng.uniform(0.5, 1.5) * self.think)

    def run(self):
        while time.monotonic() < self.stop_at:
            try:
                if not self.logged_in:
                    self.browser.cookies.clear()
                    self.browser.login(self.spec["username"], PASSWORD)
                    self.logged_in = True
                self.step()
            except TransportError:
                time.sleep(1)  # connection refused/reset: counted by the recorder
            except SessionLost:
                self.logged_in = False
            except Exception as exc:  # noqa: BLE001 - report, keep going
                with self.ledger.lock:
                    self.ledger.unexpected.append(f"{self.name}: {exc!r}")
                time.sleep(1)
            self.pause()
        with self.ledger.lock:
            self.ledger.retries["keep-alive GET retried"] += self.browser.keepalive_retries
            self.ledger.retries["TOTP code retyped at login"] += self.browser.otp_retries

    # One step of work; each role mixes reads and writes as staff do.
    def step(self):
        role = self.spec["role"]
        r = self.rng.random()
        if role == "leerkracht":
            if r < 0.3:
                self.record_signal()
            elif r < 0.8:
                self.read("/signalen/mijn/", "signals:mine", SIGNAL_LINK, self.signal_ids)
            elif self.signal_ids:
                self.read(f"/signalen/{self.rng.choice(self.signal_ids)}/", "signal:detail")
            else:
                self.read("/", "dashboard")
        elif role in ("ib", "vc"):
            if r < 0.25:
                self.read("/signalen/binnengekomen/", "signals:triage", SIGNAL_LINK,
                          self.signal_ids)
            elif r < 0.45:
                self.read("/dossiers/", "cases:list", CASE_LINK, self.case_ids)
            elif r < 0.75 and self.case_ids:
                self.read(f"/dossiers/{self.rng.choice(self.case_ids)}/", "case:detail")
            elif r < 0.9 and self.case_ids:
                self.add_record()
            elif self.signal_ids:
                self.read(f"/signalen/{self.rng.choice(self.signal_ids)}/", "signal:detail")
            else:
                self.read("/dossiers/", "cases:list", CASE_LINK, self.case_ids)
        else:  # directeur
            if r < 0.5:
                self.read("/", "dashboard")
            elif r < 0.8 or not self.case_ids:
                self.read("/dossiers/", "cases:list", CASE_LINK, self.case_ids)
            elif r < 0.95 and self.export_gate():
                self.export()
            else:
                self.read(f"/dossiers/{self.rng.choice(self.case_ids)}/", "case:detail")

    def checked(self, resp, kind):
        if resp.status == 302 and "/account/login" in (resp.location or ""):
            raise SessionLost
        return resp

    def read(self, path, kind, link_re=None, into=None):
        resp = self.checked(self.browser.get(path, kind=kind), kind)
        if resp.status == 200 and link_re is not None:
            found = sorted({int(x) for x in link_re.findall(resp.body)})
            if found:
                into[:] = found
        return resp

    def post_form(self, path, kind, form_field, **changes):
        """GET a form page, fill it in, POST it. Returns (response, form page) or None."""
        page = self.checked(self.browser.get(path, kind=f"{kind}:form"), kind)
        if page.status in (302, 303):  # e.g. to a step-up page asking for a fresh code
            page = self.checked(self.browser.follow(page, kind=f"{kind}:form"), kind)
        otp = self.browser.otp_form(page) if page.status == 200 else None
        if otp is not None and self.action_path(page, otp) != path:  # a separate step-up page
            resp = self.browser.answer_otp(page, kind=f"{kind}:step-up")
            page = self.checked(self.browser.follow(resp, kind=f"{kind}:form"), kind)
        if page.status != 200:
            return None, page
        # The form that posts to this page (the navigation holds a logout form too).
        form = next((f for f in page.forms() if f.method == "post"
                     and self.action_path(page, f) == path
                     and any(n == form_field or n.endswith(form_field) for n in f.names())),
                    None)
        if form is None:
            with self.ledger.lock:
                self.ledger.unexpected.append(f"{self.name}: no form with {form_field} at {path}")
            return None, page
        for name in form.names():  # a two-factor code asked on the form itself
            if name.endswith("otp_token"):
                changes[name] = self.browser.fresh_otp()
        return self.checked(self.browser.submit(page, form, kind=f"{kind}:post", **changes),
                            kind), page

    @staticmethod
    def action_path(page, form) -> str:
        return urllib.parse.urlsplit(urllib.parse.urljoin(page.url, form.action or page.url)).path

    def token(self) -> str:
        return f"{self.marker}-{uuid.uuid4().hex[:12]}"

    def acknowledged(self, resp, pattern: str) -> re.Match | None:
        if resp is None or resp.status != 302:
            return None
        return re.match(pattern, urllib.parse.urlsplit(resp.location or "").path)

    def record_signal(self):
        token = self.token()
        page = self.checked(self.browser.get("/signalen/nieuw/", kind="signal:form"), "signal")
        if page.status != 200:
            return
        form = page.form_with("facts")
        pupils = [v for v, _l in form.options.get("leerlingen-0-pupil", []) if v]
        categories = [v for v, _l in form.options.get("category", []) if v]
        resp = self.checked(self.browser.submit(page, form, kind="signal:post", **{
            "leerlingen-0-pupil": pupils[self.rng.randrange(min(len(pupils), 25))],
            "category": self.rng.choice(categories),
            "facts": f"Tijdens de pauze zag ik een blauwe plek op de arm. ({token})",
            "child_words": "Ik ben gevallen.",
        }), "signal")
        if m := self.acknowledged(resp, r"^/signalen/(\d+)/$"):
            with self.ledger.lock:
                self.ledger.signals.append(token)
            self.signal_ids.append(int(m.group(1)))
            self.browser.follow(resp, kind="signal:detail")
        elif resp.status == 200:
            with self.ledger.lock:
                self.ledger.rejected["signal"] += 1
                self.ledger.unexpected.append(f"{self.name}: signal form: {form_errors(resp)}")

    def add_record(self):
        case = self.rng.choice(self.case_ids)
        token = self.token()
        resp, page = self.post_form(f"/dossiers/{case}/contact-ouders/nieuw/", "record",
                                    "discussed", participants="A. Jansen – moeder\nM. de Boer – intern begeleider",
                                    purpose="Zorgen over afwezigheid bespreken.",
                                    discussed=f"De schoolgang en de thuissituatie. ({token})",
                                    reactions="Moeder herkent het.",
                                    agreements="Over twee weken opnieuw spreken.")
        if resp is None:
            return
        if self.acknowledged(resp, rf"^/dossiers/{case}/"):
            with self.ledger.lock:
                self.ledger.records.append(token)
            self.browser.follow(resp, kind="case:detail")
            # The case page must show the record at once, whichever worker answers.
            page = self.browser.get(f"/dossiers/{case}/", kind="case:detail")
            if page is not None and page.status == 200:
                with self.ledger.lock:
                    self.ledger.fresh_checks += 1
                    if token not in page.body:
                        self.ledger.stale.append(f"{self.name}: case {case} without {token}")
        elif resp.status == 200:
            with self.ledger.lock:
                self.ledger.rejected["record"] += 1
                self.ledger.unexpected.append(f"{self.name}: record form: {form_errors(resp)}")

    def export(self):
        case = self.rng.choice(self.case_ids)
        resp, page = self.post_form(f"/export/dossiers/{case}/", "export", "csrfmiddlewaretoken")
        if resp is None:
            return
        if m := self.acknowledged(resp, r"^/export/taken/(\d+)/$"):
            with self.ledger.lock:
                self.ledger.exports.append(int(m.group(1)))
            self.browser.follow(resp, kind="export:job")
        elif resp.status == 200:
            with self.ledger.lock:
                self.ledger.rejected["export"] += 1


def form_errors(resp) -> str:
    found = re.findall(r'class="[^"]*error[^"]*"[^>]*>(.*?)</', resp.body, re.S)
    return "; ".join(re.sub(r"\s+", " ", f).strip() for f in found if f.strip())[:300]


class SessionLost(Exception):
    pass


def export_gate_factory(every: float):
    """At most one export per ``every`` seconds over all simulated directeuren."""
    lock, last = threading.Lock(), [0.0]

    def gate():
        with lock:
            now = time.monotonic()
            if now - last[0] >= every:
                last[0] = now
                return True
            return False

    return gate


# --- faults --------------------------------------------------------------------------------------

@dataclass
class Window:
    name: str
    start: float
    end: float
    notes: str = ""


def fault_worker(worker: Proc, ledger: Ledger, down: float, windows: list) -> None:
    start = time.monotonic() - ledger.t0
    took = worker.stop(signal.SIGTERM, timeout=120)
    log(f"fault: worker stopped (warm shutdown {took:.1f} s); down for {down:.0f} s")
    time.sleep(down)
    worker.start()
    end = time.monotonic() - ledger.t0
    windows.append(Window("worker restart", start, end,
                          f"SIGTERM, warm shutdown took {took:.1f} s, restarted after {down:.0f} s"))


def fault_db(ledger: Ledger, grace: float, windows: list) -> None:
    start = time.monotonic() - ledger.t0
    killed = psql(f"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                  f"WHERE datname='{DB_NAME}' AND pid<>pg_backend_pid()", db=DB_NAME)
    log(f"fault: terminated {killed} database connections")
    windows.append(Window("database connections dropped", start, start + grace,
                          f"pg_terminate_backend on {killed} connections (web, worker, beat); "
                          f"window = the moment + {grace:.0f} s"))


# --- report --------------------------------------------------------------------------------------

def pct(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def ms(x):
    return f"{x * 1000:.0f}"


def machine() -> str:
    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = ""
    try:
        kb = int(next(line.split()[1] for line in open("/proc/meminfo")
                      if line.startswith("MemTotal")))
        mem = f"{kb / 1024 / 1024:.1f} GB RAM"
    except (OSError, StopIteration):
        pass
    pg = psql("SHOW server_version")
    return (f"{platform.platform()}, {os.cpu_count()} cores ({cpu}), {mem}; Python "
            f"{platform.python_version()}; PostgreSQL {pg}; Redis on the same host")


def log(msg):
    print(f"[{datetime.datetime.now():%H:%M:%S}] {msg}", flush=True)


def count_mails(maildir: Path) -> Counter:
    """(recipient, link path) of every message the file backend wrote."""
    found = Counter()
    for path in maildir.glob("*.log"):
        text = path.read_text(errors="replace")
        for message in re.split(r"\n-{79}\n", text):
            to = re.search(r"^To: (.+)$", message, re.M)
            link = re.search(r"https?://[^/\s]+(/\S*)", message)
            if to and link:
                found[f"{to.group(1).strip()} {link.group(1)}"] += 1
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--duration", type=float, default=300, help="seconds of load")
    ap.add_argument("--think", type=float, default=2.0,
                    help="mean pause between a user's actions, seconds (default 2)")
    ap.add_argument("--ramp", type=float, default=20.0,
                    help="seconds over which the users start (and log in)")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--web-workers", type=int, default=3)
    ap.add_argument("--web-threads", type=int, default=4)
    ap.add_argument("--export-every", type=float, default=20.0,
                    help="at most one PDF export per this many seconds (all users together)")
    ap.add_argument("--no-faults", action="store_true")
    ap.add_argument("--worker-down", type=float, default=20.0,
                    help="seconds the Celery worker stays down in the restart fault")
    ap.add_argument("--pupils", type=int, default=200, help="seed_demo --pupils")
    ap.add_argument("--reuse-db", action="store_true",
                    help="keep the existing meldcode_soak database (skip drop/migrate/seed)")
    ap.add_argument("--drain-timeout", type=float, default=300.0)
    ap.add_argument("--out", type=Path, default=None, help="results markdown (default "
                    "bench/results/soak-<date>.md); '-' for none")
    args = ap.parse_args()

    stamp = datetime.datetime.now(datetime.timezone.utc)
    workdir = Path(f"/tmp/meldcode-soak-{stamp:%Y%m%d-%H%M%S}")
    for sub in ("mail", "media"):
        (workdir / sub).mkdir(parents=True, exist_ok=True)
    env = stack_env(workdir, args.port)
    log(f"work directory {workdir}")

    import redis
    redis.Redis.from_url(REDIS_URL).flushdb()  # our own Redis databases only
    redis.Redis.from_url(REDIS_CACHE).flushdb()

    t_setup = time.monotonic()
    setup_database(env, args.pupils, args.reuse_db)
    users = make_users(env, args.users)
    log(f"setup took {time.monotonic() - t_setup:.0f} s; {len(users)} users")

    web = Proc("gunicorn", [PY, "-m", "gunicorn", "meldcode.wsgi:application",
                            "--bind", f"127.0.0.1:{args.port}", "--worker-class", "gthread",
                            "--workers", str(args.web_workers), "--threads",
                            str(args.web_threads), "--timeout", "60",
                            "--max-requests", "10000", "--max-requests-jitter", "1000",
                            "--worker-tmp-dir", "/dev/shm", "--no-control-socket"],
               env, workdir).start()
    worker_cmd = [PY, "-m", "celery", "-A", "meldcode", "worker", "--loglevel=INFO",
                  "--concurrency=2", "--hostname", f"soak-{os.getpid()}@%h"]
    worker = Proc("worker", worker_cmd, env, workdir).start()
    beat = Proc("beat", [PY, "-m", "celery", "-A", "meldcode", "beat", "--loglevel=INFO"],
                env, workdir).start()
    procs = [web, worker, beat]
    ok = False
    try:
        wait_http(args.port)
        ok = soak(args, users, worker, workdir, env, stamp, procs)
    finally:
        for p in procs:
            p.stop(timeout=60)
    sys.exit(0 if ok else 1)


def soak(args, users, worker, workdir, env, stamp, procs) -> bool:
    ledger = Ledger()
    marker = f"soak{stamp:%H%M%S}"
    loads = []
    ledger.t0 = time.monotonic()
    stop_at = ledger.t0 + args.duration
    since = datetime.datetime.now(datetime.timezone.utc).isoformat()
    gate = export_gate_factory(args.export_every)
    staff = [StaffMember(u, args.port, ledger, stop_at, marker, args.think, gate, i)
             for i, u in enumerate(users)]
    log(f"{len(staff)} users for {args.duration:.0f} s")
    for i, s in enumerate(staff):  # ramp up: logins are the most expensive requests
        s.start()
        time.sleep(args.ramp / len(staff))

    windows: list[Window] = []
    faults = []
    if not args.no_faults:
        faults = [(0.35, lambda: fault_worker(worker, ledger, args.worker_down, windows)),
                  (0.65, lambda: fault_db(ledger, 10.0, windows))]
    fault_threads = []
    while time.monotonic() < stop_at:
        elapsed = time.monotonic() - ledger.t0
        loads.append(os.getloadavg()[0])
        while faults and elapsed >= faults[0][0] * args.duration:
            _frac, fn = faults.pop(0)
            th = threading.Thread(target=fn, daemon=True)
            th.start()
            fault_threads.append(th)
        time.sleep(1)
    for s in staff:
        s.join(timeout=90)
    for th in fault_threads:
        th.join(timeout=180)
    load_end = time.monotonic() - ledger.t0
    log("load finished; waiting for the worker to drain the queue…")

    # Everything queued must run: exports finish, mails are sent.
    import redis
    r = redis.Redis.from_url(REDIS_URL)
    deadline = time.monotonic() + args.drain_timeout
    counts = {}
    while time.monotonic() < deadline:
        counts = django_count(env, marker, since)
        pending_jobs = sum(v for k, v in counts["export_jobs"].items()
                           if k not in ("done", "failed"))  # JobStatus names, see djangoside
        mails = count_mails(workdir / "mail")
        if not pending_jobs and r.llen("celery") == 0 and sum(
                (Counter(counts["mails_expected"]) - mails).values()) == 0:
            break
        time.sleep(5)
    counts = django_count(env, marker, since)
    mails = count_mails(workdir / "mail")
    return report(args, users, ledger, counts, mails, windows, loads, stamp, load_end, marker)


def django_count(env, marker, since) -> dict:
    out = subprocess.run([PY, str(HERE / "djangoside.py"), "count"], env=env, cwd=ROOT,
                         input=json.dumps({"marker": marker, "since": since}), text=True,
                         capture_output=True, check=True).stdout
    return json.loads(out)


def report(args, users, ledger, counts, mails, windows, loads, stamp, load_end, marker) -> bool:
    samples = ledger.samples
    def overlaps(s, win):  # the request was in flight at some moment of the window
        return s.t <= win.end + 1 and s.t + s.elapsed >= win.start - 1

    in_window = lambda s: any(overlaps(s, win) for win in windows)  # noqa: E731
    failed = lambda s: s.status == 0 or s.status >= 500  # noqa: E731
    errors_out = [s for s in samples if failed(s) and not in_window(s)]
    # In a window any failure counts, 4xx included: a session that cannot be saved while the
    # database is away answers 400 (Django's SessionInterrupted), which is a clean failure.
    errors_in = [s for s in samples if (failed(s) or s.status >= 400) and in_window(s)]
    client_errors_out = [s for s in samples if 400 <= s.status < 500 and not in_window(s)]
    by_status = Counter(s.status for s in samples)
    acked = {"signals": ledger.signals, "records": ledger.records}
    stored = {"signals": counts["signal_facts"], "records": counts["record_texts"]}
    lost = {}
    for kind in acked:
        stored_text = "\n".join(stored[kind])
        lost[kind] = [t for t in acked[kind] if t not in stored_text]
    jobs = counts["export_jobs"]
    lost_jobs = sorted(set(ledger.exports) - set(counts["export_job_ids"]))
    expected_mails = Counter(counts["mails_expected"])
    missing_mails = expected_mails - mails
    duplicate_mails = sum(max(0, mails[k] - expected_mails[k]) for k in expected_mails)

    lines = []
    w = lines.append
    w(f"# Soak run {stamp:%Y-%m-%d %H:%M} UTC")
    w("")
    w(f"- Machine: {machine()}")
    w(f"- Load average (1 min) during the run: min {min(loads):.1f}, mean "
      f"{statistics.mean(loads):.1f}, max {max(loads):.1f} (other work shares the machine)")
    w(f"- Stack: gunicorn gthread {args.web_workers}×{args.web_threads}, production settings "
      f"(DEBUG off, generated secret, CONN_MAX_AGE=60 + CONN_HEALTH_CHECKS), PostgreSQL "
      f"database `{DB_NAME}` (seed_demo --pupils {args.pupils}), Celery worker "
      f"(concurrency 2) + beat on `{REDIS_URL}`, cache (sessions, roles, 2FA state) on "
      f"`{REDIS_CACHE}`")
    w(f"- Load: {len(users)} users ({', '.join(f'{v} {k}' for k, v in Counter(u['role'] for u in users).items())}), "
      f"{args.duration:.0f} s, think time {args.think:.1f} s mean; real two-factor login "
      f"(TOTP); at most one PDF export per {args.export_every:.0f} s")
    w(f"- Requests: {len(samples)} in {load_end:.0f} s = **{len(samples) / load_end:.1f} req/s**; "
      f"statuses: {dict(sorted(by_status.items()))}")
    w("")
    w("## Faults")
    w("")
    if windows:
        w("| fault | from (s) | to (s) | failed requests in window | notes |")
        w("|---|---:|---:|---:|---|")
        for win in windows:
            n = sum(1 for s in errors_in if overlaps(s, win))
            w(f"| {win.name} | {win.start:.0f} | {win.end:.0f} | {n} | {win.notes} |")
    else:
        w("None (--no-faults).")
    w("")
    w("## Checks")
    w("")
    checks = [
        ("server errors (5xx or connection failure) outside the fault windows",
         len(errors_out), 0),
        ("4xx answers outside the fault windows (every page used is allowed)",
         len(client_errors_out), 0),
        ("acknowledged signals missing in the database", len(lost["signals"]), 0),
        ("acknowledged records missing in the database", len(lost["records"]), 0),
        ("acknowledged export jobs missing", len(lost_jobs), 0),
        ("export jobs not finished (after drain)",
         sum(v for k, v in jobs.items() if k != "done"), 0),
        ("e-mails missing (notification without its mail)", sum(missing_mails.values()), 0),
        ("forms rejected (POST answered 200)", sum(ledger.rejected.values()), 0),
        ("client-side surprises", len(ledger.unexpected), 0),
        (f"case pages read right after a new record without it (of {ledger.fresh_checks})",
         len(ledger.stale), 0),
    ]
    w("| check | found | expected |")
    w("|---|---:|---:|")
    for name, found, expected in checks:
        w(f"| {name} | {found} | {expected} |")
    w("")
    w(f"Writes acknowledged (redirect after POST) → rows found: signals {len(ledger.signals)} → "
      f"{counts['signals']}, parent-contact records {len(ledger.records)} → {counts['records']} "
      f"(history rows {counts['history_records']}), export jobs {len(ledger.exports)} → "
      f"{sum(jobs.values())} ({jobs}); notifications {counts['notifications']}, e-mails "
      f"expected {sum(expected_mails.values())}, written {sum(mails.values())} "
      f"(duplicates {duplicate_mails}).")
    w(f"Client retries (as a browser/person would): {dict(ledger.retries)}.")
    if errors_in or errors_out or client_errors_out:
        w("")
        w("Failed requests (start time, duration): " + "; ".join(
            f"{s.t:.1f}s+{s.elapsed:.1f}s {s.method} {s.kind} {s.status} {s.error or ''}".strip()
            for s in sorted(errors_in + errors_out + client_errors_out, key=lambda s: s.t)[:40]))
    if ledger.unexpected:
        w("")
        w("Client-side: " + "; ".join(ledger.unexpected[:10]))
    w("")
    w("## Latency per request type (ms)")
    w("")
    w("| request | n | p50 | p95 | p99 | max |")
    w("|---|---:|---:|---:|---:|---:|")
    groups = defaultdict(list)
    for s in samples:
        if s.status and s.status < 500:
            groups[s.kind].append(s.elapsed)
    for kind in sorted(groups):
        v = groups[kind]
        w(f"| {kind} | {len(v)} | {ms(pct(v, 50))} | {ms(pct(v, 95))} | {ms(pct(v, 99))} | "
          f"{ms(max(v))} |")
    allv = [x for v in groups.values() for x in v]
    w(f"| **all** | {len(allv)} | {ms(pct(allv, 50))} | {ms(pct(allv, 95))} | "
      f"{ms(pct(allv, 99))} | {ms(max(allv))} |")
    text = "\n".join(lines) + "\n"
    print(text)
    passed = all(found == expected for _n, found, expected in checks)
    if args.out != Path("-"):
        out = args.out or ROOT / "bench" / "results" / f"soak-{stamp:%Y-%m-%d}.md"
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(out, "a") as fh:
            fh.write(text + f"\nResult: {'all checks passed' if passed else 'CHECKS FAILED'}.\n\n")
        log(f"results appended to {out}")
    return passed


if __name__ == "__main__":
    main()
