"""Guards this app adds to the case workflow (``cases.workflow``), registered in ``apps.py``.

- Into the follow-up phase (step 5 → "Volgen en afsluiten"): a step-5 decision is on file;
  a decision to report needs the recorded report (R20), a decision to help the help plan
  (R13); a decision to close the Meldcode track closes the case instead.
- Closing: a case in the follow-up phase, or one whose current cycle took the help path,
  needs an evaluation note and the agreed monitoring (R41, R14).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from cases.models import Case, Route, Step

from .models import (DecisionChoice, Evaluation, HelpPlan, MonitoringAgreement,
                     VeiligThuisReport)


def followup_guard(case: Case, user) -> list[str]:
    """Reasons the case may not move into the follow-up phase yet."""
    from .selectors import latest_decision

    if case.route != Route.MELDCODE:
        return []
    decision = latest_decision(case)
    if decision is None:
        return [_("Leg eerst het besluit van stap 5 vast (afwegingskader en besluit).")]
    reasons = []
    if decision.choice == DecisionChoice.AFSLUITEN:
        reasons.append(_("Het besluit is om het traject van de meldcode af te sluiten: sluit het "
                         "dossier af in plaats van het naar de volgfase te zetten."))
    if decision.includes_report and not VeiligThuisReport.objects.filter(
            case_id=case.pk, cycle=case.cycle).exists():
        reasons.append(_("Leg eerst de melding bij Veilig Thuis vast."))
    if decision.includes_help and not HelpPlan.objects.filter(
            case_id=case.pk, cycle=case.cycle).exists():
        reasons.append(_("Leg eerst het hulpplan vast: hulp, zorgcoördinator, rollen, verwachte "
                         "resultaten en evaluatiedatum."))
    return reasons


def close_guard(case: Case, user) -> list[str]:
    """R41/R14: closing after help, or from the follow-up phase, needs an evaluation and the
    agreed monitoring."""
    from .selectors import went_through_help_path

    if case.route != Route.MELDCODE:
        return []
    if case.step != Step.VOLGEN and not went_through_help_path(case):
        return []
    reasons = []
    cycle = {"case_id": case.pk, "cycle": case.cycle}
    if not Evaluation.objects.filter(**cycle).exists():
        reasons.append(_("Leg eerst een evaluatie vast voordat u het dossier afsluit."))
    if not MonitoringAgreement.objects.filter(**cycle).exists():
        reasons.append(_("Leg eerst de afspraken vast over het volgen van de (on)veiligheid "
                         "in de toekomst."))
    return reasons
