"""``manage.py seed_demo``: fictional demo data (see ``core.demo``). Running it twice is fine."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core import demo


class Command(BaseCommand):
    help = ("Maakt fictieve demogegevens: een schoolbestuur met twee scholen, leerlingen, "
            "ouders, medewerkers in elke rol en dossiers in elke stap. Nogmaals draaien "
            "verdubbelt niets.")

    def add_arguments(self, parser):
        parser.add_argument("--pupils", type=int, default=demo.DEFAULT_PUPILS, metavar="N",
                            help=f"Aantal leerlingen per school (standaard "
                                 f"{demo.DEFAULT_PUPILS}, minimaal {demo.MIN_PUPILS}).")
        parser.add_argument("--reset", action="store_true",
                            help="Verwijder eerst het demobestuur, alles daarin en de "
                                 "demo-accounts.")

    def handle(self, *args, pupils, reset, **options):
        # Demo accounts share a published password: never in a production database.
        if not (getattr(settings, "DEMO_MODE", False) or settings.DEBUG):
            raise CommandError("seed_demo maakt accounts met een bekend wachtwoord en draait "
                               "alleen in de demo-omgeving (MELDCODE_DEMO=1) of met DEBUG aan.")
        if pupils < 1:
            raise CommandError("--pupils moet een positief getal zijn.")
        started = time.monotonic()
        if reset and demo.delete_demo_data():
            self.stdout.write("Bestaande demogegevens verwijderd.")
        result = demo.seed(pupils_per_school=pupils)
        for warning in result.warnings:
            self.stderr.write(f"Let op: {warning}")
        if result.created_board:
            self.stdout.write(self.style.SUCCESS("Demogegevens aangemaakt."))
        else:
            parts = [p for p, done in (("leerlingen", result.created_pupils),
                                       ("dossiers", result.created_cases)) if done]
            self.stdout.write(self.style.SUCCESS(
                "Demobestuur bestond al; accounts en rollen bijgewerkt"
                + (f", {' en '.join(parts)} aangemaakt." if parts else ", niets verdubbeld.")))
        for line in demo.summary():
            self.stdout.write(line)
        self.stdout.write(
            f"Demo-accounts (wachtwoord: {demo.PASSWORD}): leerkracht.a ib.a vc.a sot.a "
            f"directeur.a, dezelfde met .b, beheerder, bestuurder, jeugdverpleegkundige, "
            f"schoolmaatschappelijkwerker.")
        self.stdout.write(f"Klaar in {time.monotonic() - started:.1f} s.")
