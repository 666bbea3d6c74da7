#!/usr/bin/env python
"""Benchmark: render the PDF dossier of a case with 100 records; wall/CPU time and peak memory.

    .venv/bin/python bench/pdf_render.py [--records 100] [--runs 5] [--cold 3] [--history]
        [--tracemalloc] [--out F.pdf] [--html F.html]

Builds the data in an in-memory SQLite database (migrations first, ~10 s, not measured), with
records of every type the dossier shows (``tests/exports/world.py``) and texts of realistic
length. Then renders the dossier as the Celery worker does: context (queries) + HTML + PDF,
timed end to end, in forked copies of this process (Django and the data loaded, WeasyPrint
not yet imported, like a freshly started worker):

- **cold**: ``--cold`` processes that each render once: the first render of a worker pays for
  importing WeasyPrint, parsing the print stylesheet, loading the fonts and the hyphenation
  dictionary;
- **warm**: one process renders once, then ``--runs`` more times: what a running worker sees
  (stylesheet and fonts come from ``exports.pdf``'s per-process cache).

Reported per run: wall seconds and the process's CPU seconds (``time.process_time``), pages,
queries; then medians, the peak resident memory of all those processes (``ru_maxrss``:
Django, the data and WeasyPrint together), optionally the Python-level peak of one warm render
(``tracemalloc``; C allocations of Pango/HarfBuzz are not in it), the load average and a
calibration (CPU seconds for 17 pages of plain paragraphs). Targets (issue 6): under 2 s and
under 250 MB. On a shared two-core machine the wall time depends on what else runs; the CPU
time much less so, which is why both are printed.
"""

from __future__ import annotations

import argparse
import os
import pickle
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DATABASE_URL"] = "sqlite://:memory:"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meldcode.settings.test")

SENTENCES = [
    "Tijdens de gymles zag ik een blauwe plek van ongeveer vijf centimeter op de linkerbovenarm.",
    "De leerling kwam de afgelopen week drie keer zonder ontbijt en zonder jas naar school.",
    "Bij het ophalen was vader kortaf en trok hij de leerling hardhandig aan de arm mee.",
    "In de kring vertelde de leerling dat het thuis vaak onrustig is als mama laat thuiskomt.",
    "De moeder gaf in het gesprek aan dat de situatie thuis sinds de zomer zwaar is.",
    "Afgesproken is dat de leerkracht de komende twee weken dagelijks kort noteert wat opvalt.",
    "De jeugdverpleegkundige adviseert om de zorgen open te bespreken en hulp aan te bieden.",
    "Veilig Thuis adviseert eerst een gesprek met beide ouders en daarna opnieuw te wegen.",
    "De leerling is stil in de klas, trekt zich terug in de pauzes en schrikt van harde geluiden.",
    "Het SOT schat het risico in als matig; er is geen sprake van acute onveiligheid.",
]


def text_for(tag: str) -> str:
    n = int(tag[1:])
    count = 1 + n % 3
    return " ".join(SENTENCES[(n + i) % len(SENTENCES)] for i in range(count))


NAMES = ["juf Anna (groep 5)", "meester Kees, gymleraar", "de moeder", "jeugdverpleegkundige",
         "buurvrouw van het gezin", "schoolmaatschappelijk werker", "de oom van de leerling"]


def short_for(tag: str) -> str:
    """Names, functions and references: short, as they are in practice."""
    return NAMES[int(tag[1:]) % len(NAMES)]


def build_case(records: int):
    """A case with ``records`` records spread over every type, like a long-running dossier."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from schools.roles import Role, sync_role_groups

    sync_role_groups()
    from cases.services import case_open
    from tests.exports.world import fill_case
    from tests.factories import PupilFactory, SchoolClassFactory, SchoolFactory, staff

    school = SchoolFactory(verwijsindex_enabled=True)
    people = {"ib": staff(Role.IB, school), "vc": staff(Role.VC, school),
              "director": staff(Role.DIRECTEUR, school), "teacher": staff(Role.LEERKRACHT,
                                                                          school),
              "sot": staff(Role.SOT, school)}
    pupil = PupilFactory(school=school, school_class=SchoolClassFactory(school=school))
    case = case_open(pupil=pupil, actor=people["ib"])
    # 100 records: 30 signals, 72 step records in total, 23 of step 5 and after, 5 step moves.
    scale = records / 100
    counts = {"signals": round(30 * scale), "vir": round(2 * scale),
              "consultations": round(12 * scale), "vt_advice": round(6 * scale),
              "conversations": round(16 * scale), "sot": round(6 * scale),
              "transitions": round(5 * scale), "afwegingskader": 1,
              "actions": round(8 * scale), "evaluations": round(4 * scale)}
    other = PupilFactory(school=school)
    fill_case(case, people, text=text_for, short=short_for, counts=counts,
              other_pupil=other)
    total = sum(v for k, v in counts.items() if k != "afwegingskader") + 11
    return case, people["director"], total


def render_once(case_id: int, requester, history: bool, html_out: str | None = None):
    from exports.documents import case_for_export, dossier_context
    from exports.pdf import DOSSIER_TEMPLATE, html_to_pdf, render_html

    marks = [time.perf_counter()]
    case = case_for_export(case_id)
    context = dossier_context(case, requester=requester, include_history=history)
    marks.append(time.perf_counter())
    html = render_html(DOSSIER_TEMPLATE, context)
    marks.append(time.perf_counter())
    if html_out:
        Path(html_out).write_text(html)
    pdf = html_to_pdf(html)
    marks.append(time.perf_counter())
    pdf.split = [b - a for a, b in zip(marks, marks[1:])]
    return pdf


def timed_render(case_id: int, requester, history: bool, html_out: str | None = None) -> dict:
    """One render, end to end: wall and CPU seconds (this process), pages, queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    wall, cpu = time.perf_counter(), time.process_time()
    with CaptureQueriesContext(connection) as queries:
        pdf = render_once(case_id, requester, history, html_out)
    return {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
            "pages": pdf.pages, "queries": len(queries), "kb": len(pdf.content) / 1024,
            "split": pdf.split, "variant": pdf.variant or "untagged", "pdf": pdf.content}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def in_child(work):
    """Run ``work()`` in a forked copy of this process (Django and the data already loaded,
    WeasyPrint not yet imported: a fresh worker process) and return its result."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read)
        code = 0
        try:
            result = work()
            result["rss"] = peak_rss_mb()
        except BaseException as exc:  # report, never fall back into the parent's code
            result, code = {"error": repr(exc)}, 1
        with os.fdopen(write, "wb") as out:
            pickle.dump(result, out)
        os._exit(code)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        result = pickle.load(pipe)
    os.waitpid(pid, 0)
    if "error" in result:
        raise RuntimeError(result["error"])
    return result


def line(label: str, run: dict) -> str:
    data, html, weasy = run["split"]
    return (f"{label}: {run['wall']:.2f} s wall, {run['cpu']:.2f} s cpu, {run['pages']} pages, "
            f"{run['queries']} queries, {run['kb']:.0f} KB (data {data:.2f} s, HTML "
            f"{html:.2f} s, WeasyPrint {weasy:.2f} s wall)")


def calibrate() -> float:
    """CPU seconds for 17 pages of plain paragraphs: how fast is WeasyPrint here, today?"""
    from weasyprint import HTML

    text = "Tijdens de gymles zag ik een blauwe plek op de linkerbovenarm. " * 9
    html = ("<html lang='nl'><body style='font-family: DejaVu Sans; font-size: 10pt'>"
            + ("<h2>Kop</h2>" + f"<p>{text}</p>" * 4) * 30 + "</body></html>")
    cpu = time.process_time()
    HTML(string=html).render().write_pdf()
    return time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5,
                        help="warm renders, after one cold render, in one process")
    parser.add_argument("--cold", type=int, default=3,
                        help="cold renders, each the first render of a fresh process")
    parser.add_argument("--history", action="store_true",
                        help="include the change-history appendix")
    parser.add_argument("--out", help="write the last PDF here")
    parser.add_argument("--html", help="write the HTML here (for looking at the layout)")
    parser.add_argument("--tracemalloc", action="store_true",
                        help="one more (untimed) run measuring Python allocations")
    args = parser.parse_args()

    import django

    django.setup()
    import tempfile

    from django.conf import settings

    # The attachment of the test data goes to a scratch folder, removed at exit.
    media = tempfile.TemporaryDirectory(prefix="pdf-bench-")
    settings.MEDIA_ROOT = media.name
    import logging

    logging.getLogger("weasyprint").setLevel(logging.ERROR)

    case, director, total = build_case(args.records)
    assert "weasyprint" not in sys.modules, "the cold runs must import WeasyPrint themselves"
    print(f"dossier: {total} records (case {case.pk}), appendix: "
          f"{'ja' if args.history else 'nee'}; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cpus")

    # Cold: the first render in a fresh worker process (imports WeasyPrint, parses the
    # stylesheet, loads the fonts). Each in its own forked child of this process.
    colds = []
    for run in range(1, args.cold + 1):
        colds.append(in_child(lambda: timed_render(case.pk, director, args.history)))
        print(line(f"cold {run}", colds[-1]))
    # Warm: one process renders 1 + --runs times, as a running worker does.

    def warm_series():
        first = timed_render(case.pk, director, args.history)
        runs = [timed_render(case.pk, director, args.history, args.html)
                for _ in range(args.runs)]
        return {"first": first, "runs": runs}

    series = in_child(warm_series)
    warms = series["runs"]
    for run, result in enumerate(warms, 1):
        print(line(f"warm {run}", result))
    pdf = warms[-1] if warms else series["first"]
    calibration = in_child(lambda: {"cpu": calibrate()})["cpu"]
    print(f"calibration: plain-text document (17 pages) in {calibration:.2f} s cpu")
    if args.tracemalloc:  # slows the run down several times: separate, not timed
        def traced():
            render_once(case.pk, director, args.history)  # warm up: only the render itself
            tracemalloc.start()
            render_once(case.pk, director, args.history)
            return {"peak": tracemalloc.get_traced_memory()[1] / 2**20}
        print(f"python-level peak of one warm render: {in_child(traced)['peak']:.0f} MB")

    def med(runs, key):
        return statistics.median(r[key] for r in runs) if runs else float("nan")

    peak = max([r["rss"] for r in colds] + [series["rss"]])
    print(f"cold median ({len(colds)} processes): {med(colds, 'wall'):.2f} s wall, "
          f"{med(colds, 'cpu'):.2f} s cpu")
    print(f"warm median ({len(warms)} runs): {med(warms, 'wall'):.2f} s wall, "
          f"{med(warms, 'cpu'):.2f} s cpu (min {min(r['cpu'] for r in warms):.2f} s cpu)")
    print(f"pages {pdf['pages']}; peak RSS {peak:.0f} MB; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cpus; variant {pdf['variant']}")
    if args.out:
        Path(args.out).write_bytes(pdf["pdf"])
        print(f"written: {args.out}")
    ok = med(warms, "wall") < 2.0 and peak < 250
    cpu_ok = med(warms, "cpu") < 2.0 and peak < 250
    print("target (< 2 s, < 250 MB, warm median):", "met" if ok else "NOT met",
          "by wall time;", "met" if cpu_ok else "NOT met", "by CPU time")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
