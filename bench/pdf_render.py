#!/usr/bin/env python
"""Benchmark: render the PDF dossier of a case with 100 records; wall time and peak memory.

    .venv/bin/python bench/pdf_render.py [--records 100] [--runs 3] [--history] [--out F.pdf]

Builds the data in an in-memory SQLite database (migrations first, ~10 s, not measured), with
records of every type the dossier shows (``tests/exports/world.py``) and texts of realistic
length. Then renders the dossier ``--runs`` times in this process, as the Celery worker does:
context (queries) + HTML + PDF, timed end to end. The first run pays for imports, font and
hyphenation-dictionary loading ("cold"); later runs are what a running worker sees ("warm").

Reported: wall and CPU seconds per run, pages, and the process's peak resident memory
(``ru_maxrss``: Django, the data and WeasyPrint together) plus the Python-level peak of one
render (``tracemalloc``; C allocations of Pango/HarfBuzz are not in it). Targets (issue 6):
under 2 s and under 250 MB. CPU time is printed too: on a shared two-core machine the wall
time depends on what else runs (the load average is printed with the result).
"""

from __future__ import annotations

import argparse
import os
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
    parser.add_argument("--runs", type=int, default=3)
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
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    case, director, total = build_case(args.records)
    print(f"dossier: {total} records (case {case.pk}), appendix: {'ja' if args.history else 'nee'}")
    walls, cpus, pdf = [], [], None
    for run in range(1, args.runs + 1):
        wall, cpu = time.perf_counter(), time.process_time()
        with CaptureQueriesContext(connection) as queries:
            pdf = render_once(case.pk, director, args.history, args.html)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        walls.append(wall)
        cpus.append(cpu)
        print(f"run {run} ({'cold' if run == 1 else 'warm'}): {wall:.2f} s wall, "
              f"{cpu:.2f} s cpu, {pdf.pages} pages, {len(queries)} queries, "
              f"{len(pdf.content) / 1024:.0f} KB (data {pdf.split[0]:.2f} s, HTML "
              f"{pdf.split[1]:.2f} s, WeasyPrint {pdf.split[2]:.2f} s)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"calibration: plain-text document (17 pages) in {calibrate():.2f} s cpu")
    if args.tracemalloc:  # slows the run down several times: separate, not timed
        tracemalloc.start()
        render_once(case.pk, director, args.history)
        print(f"python-level peak of one render: "
              f"{tracemalloc.get_traced_memory()[1] / 2**20:.0f} MB")
        tracemalloc.stop()
    warm = walls[1:] or walls
    print(f"warm median: {statistics.median(warm):.2f} s wall, "
          f"{statistics.median(cpus[1:] or cpus):.2f} s cpu; peak RSS {peak:.0f} MB; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cpus; "
          f"variant {pdf.variant or 'untagged'}")
    if args.out:
        Path(args.out).write_bytes(pdf.content)
        print(f"written: {args.out}")
    ok = statistics.median(warm) < 2.0 and peak < 250
    print("target (< 2 s, < 250 MB):", "met" if ok else "NOT met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
