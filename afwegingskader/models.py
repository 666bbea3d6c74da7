"""Step 5 of the Meldcode and what follows from it (domain.md §4–§5, R10–R24, R40–R42, R48).

- ``Assessment``: the answers to Q1–Q5 of the afwegingskader for one case and cycle, each with
  its justification (R10). The advice itself is never stored here as truth: it is derived with
  :func:`afwegingskader.decision.advise` (``Assessment.advice()``).
- ``Decision``: the step-5 decision record (melden / hulp organiseren / beide / afsluiten) with
  the advice as it was at that moment, the deviation reason, who decided, who reports and who
  informs the parents (R11, R15).
- ``VeiligThuisReport`` (melding, R20, R21) with its signals (``VeiligThuisReportSignal``),
  ``VeiligThuisFeedback`` (R22), ``SchoolRoleAgreement`` (R23) and ``InformationRequest`` (R24).
- ``HelpPlan`` (Q4 = ja, R13) and the follow-up: ``FollowUpAction``, ``Evaluation``,
  ``AftercareNote``, ``MonitoringAgreement`` (R14, R40, R41) and ``BottleneckNote`` (R42).

Every model is tracked by django-simple-history; services set the acting user and a reason.
Records that can be edited carry ``lock_version`` (optimistic locking). Nothing here sends
anything to Veilig Thuis, the Verwijsindex or the police (R50): the app records human actions.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import AppendOnlyModel, LockVersionModel

from .decision import TWIJFEL, Advice, advise

# --- choices ---------------------------------------------------------------------------------


class Q2Answer(models.TextChoices):
    JA = "ja", _("Ja")
    NEE = "nee", _("Nee")
    TWIJFEL = TWIJFEL, _("Twijfel")


class DecisionChoice(models.TextChoices):
    MELDEN = "melden", _("Melden bij Veilig Thuis")
    HULP = "hulp_organiseren", _("Hulp bieden of organiseren")
    BEIDE = "beide", _("Melden én hulp bieden of organiseren")
    AFSLUITEN = "afsluiten", _("Het traject van de meldcode afsluiten")


#: Decisions that include a report to Veilig Thuis / that include organising help.
REPORTING_DECISIONS = frozenset({DecisionChoice.MELDEN, DecisionChoice.BEIDE})
HELPING_DECISIONS = frozenset({DecisionChoice.HULP, DecisionChoice.BEIDE})


class Channel(models.TextChoices):
    TELEFOON = "telefoon", _("telefonisch")
    ONLINE = "online_formulier", _("online meldformulier van Veilig Thuis")
    ANDERS = "anders", _("anders")


class ParentsException(models.TextChoices):
    """R8, domain.md §5: the only grounds for not informing the parents before a report."""

    CHILD_SAFETY = "veiligheid_kind", _(
        "de veiligheid van het kind of van een gezinslid komt in gevaar")
    OTHERS_SAFETY = "veiligheid_anderen", _("de veiligheid van anderen komt in gevaar")
    PROFESSIONAL_SAFETY = "veiligheid_professional", _(
        "de veiligheid van de professional of van collega's komt in gevaar")
    TRUST = "vertrouwensrelatie", _(
        "de vertrouwensrelatie met het kind of het gezin komt ernstig in gevaar")


class AnonymityReason(models.TextChoices):
    """R21, domain.md §5: Veilig Thuis hides the reporter from the family only on these grounds."""

    CHILD_SAFETY = "veiligheid_kind", _("de veiligheid van het kind komt in gevaar")
    PROFESSIONAL_SAFETY = "veiligheid_professional", _(
        "de veiligheid van de melder of van collega's komt in gevaar")
    TRUST = "vertrouwensrelatie", _("de vertrouwensrelatie met het kind of het gezin komt in gevaar")


class FeedbackKind(models.TextChoices):
    SAFETY = "veiligheidsbeoordeling", _("na de veiligheidsbeoordeling")
    INVESTIGATION = "onderzoek", _("na het onderzoek")
    OTHER = "anders", _("anders")


class LegalBasis(models.TextChoices):
    MELDRECHT = "meldrecht", _("meldrecht (Wet maatschappelijke ondersteuning 2015, art. 5.2.6)")
    CONSENT = "toestemming", _("met toestemming van de ouders/verzorgers")
    OTHER = "anders", _("anders")


class EvaluationOutcome(models.TextChoices):
    ACHIEVED = "behaald", _("de afgesproken resultaten zijn behaald")
    PARTLY = "deels", _("de resultaten zijn deels behaald")
    NOT_ACHIEVED = "niet_behaald", _("de resultaten zijn niet behaald")


class BottleneckTheme(models.TextChoices):
    COOPERATION = "samenwerking", _("samenwerking met ketenpartners")
    WAITING = "wachttijd", _("wachttijden of beschikbaarheid van hulp")
    INFORMATION = "informatie", _("informatie-uitwisseling of terugkoppeling")
    KNOWLEDGE = "kennis", _("kennis en vaardigheden in de school")
    PROCEDURE = "procedure", _("de meldcode of de eigen werkwijze")
    OTHER = "anders", _("anders")


# --- abstract bases ----------------------------------------------------------------------


class CaseCycleModel(models.Model):
    """Belongs to one case and one cycle of it (a reopened case starts a new cycle, R3)."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("dossier"))
    cycle = models.PositiveSmallIntegerField(_("ronde"), default=1)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("vastgelegd door"))
    created_at = models.DateTimeField(_("vastgelegd op"), auto_now_add=True)

    class Meta:
        abstract = True


# --- the afwegingskader --------------------------------------------------------------------


class Assessment(CaseCycleModel, LockVersionModel):
    """The answers to the five questions of the afwegingskader for one case and cycle (R10).

    Q1, Q3–Q5 are yes/no (None = not answered yet); Q2 is "ja", "nee", "twijfel" or "" (not
    answered). Each given answer has a justification (database constraints below).
    """

    q1 = models.BooleanField(_("vraag 1"), null=True, blank=True)
    q1_justification = models.TextField(_("onderbouwing vraag 1"), blank=True)
    q2 = models.CharField(_("vraag 2"), max_length=10, blank=True, choices=Q2Answer.choices)
    q2_justification = models.TextField(_("onderbouwing vraag 2"), blank=True)
    # R18: a disclosure by the child pre-fills Q2 as "ja"; another answer needs a reason.
    q2_prefilled_from_disclosure = models.BooleanField(
        _("vraag 2 vooringevuld vanwege een disclosure"), default=False)
    q2_change_reason = models.TextField(_("reden om af te wijken van de disclosure"), blank=True)
    q3 = models.BooleanField(_("vraag 3"), null=True, blank=True)
    q3_justification = models.TextField(_("onderbouwing vraag 3"), blank=True)
    q4 = models.BooleanField(_("vraag 4"), null=True, blank=True)
    q4_justification = models.TextField(_("onderbouwing vraag 4"), blank=True)
    q5 = models.BooleanField(_("vraag 5"), null=True, blank=True)
    q5_justification = models.TextField(_("onderbouwing vraag 5"), blank=True)
    # R12: with Q2 = ja (or doubt counting as ja) Q3–Q5 are answered together with Veilig Thuis.
    answered_with_veilig_thuis = models.BooleanField(
        _("vragen 3 tot en met 5 samen met Veilig Thuis beantwoord"), default=False)
    # R17: honour-related violence, FGM, forced marriage: always consult a specialist.
    specialist_consulted = models.TextField(
        _("overleg met een specialist (eergerelateerd geweld)"), blank=True)
    # The school setting the advice was derived with, and the Meldcode version (R48).
    doubt_means_report = models.BooleanField(_("twijfel bij vraag 2 betekent melden"),
                                             default=True)
    meldcode_version = models.CharField(_("versie meldcode en afwegingskader"), max_length=100)
    updated_at = models.DateTimeField(_("laatst gewijzigd op"), auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("laatst gewijzigd door"))
    history = HistoricalRecords(excluded_fields=["lock_version", "updated_at"])

    class Meta:
        verbose_name = _("afwegingskader")
        verbose_name_plural = _("afwegingskaders")
        constraints = [
            models.UniqueConstraint(fields=["case", "cycle"], name="one_assessment_per_cycle"),
            *[models.CheckConstraint(
                name=f"assessment_q{n}_justified",
                condition=Q(**{f"q{n}__isnull": True}) | ~Q(**{f"q{n}_justification": ""}),
                violation_error_message=_("Geef een onderbouwing bij vraag %(n)s.") % {"n": n})
              for n in (1, 3, 4, 5)],
            models.CheckConstraint(name="assessment_q2_justified",
                                   condition=Q(q2="") | ~Q(q2_justification=""),
                                   violation_error_message=_("Geef een onderbouwing bij vraag 2.")),
        ]

    def __str__(self):
        return str(_("Afwegingskader ronde %(cycle)s") % {"cycle": self.cycle})

    @property
    def q2_value(self):
        """Q2 as :func:`advise` takes it: True, False, "twijfel" or None."""
        return {Q2Answer.JA: True, Q2Answer.NEE: False, Q2Answer.TWIJFEL: TWIJFEL}.get(self.q2)

    def answers(self) -> dict:
        return {"q1": self.q1, "q2": self.q2_value, "q3": self.q3, "q4": self.q4, "q5": self.q5}

    def advice(self) -> Advice:
        return advise(**self.answers(), doubt_means_report=self.doubt_means_report)


class Decision(CaseCycleModel, AppendOnlyModel):
    """The step-5 decision (R11, R15). Not edited: a new decision supersedes an earlier one.

    ``advice_*`` keep the afwegingskader's advice as it was when the decision was taken.
    A decision *deviates* from the advice (:func:`afwegingskader.services.decision_deviates`)
    when it differs from Beslissing 1 (report: yes/no) or organises no help while the advice is
    to help; a deviation needs a reason, shown in every export.
    """

    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="decisions",
                                   verbose_name=_("afwegingskader"))
    choice = models.CharField(_("besluit"), max_length=20, choices=DecisionChoice.choices)
    decided_on = models.DateField(_("datum van het besluit"))
    motivation = models.TextField(_("toelichting bij het besluit"))
    advice_outcome = models.CharField(_("advies van het afwegingskader"), max_length=30)
    advice_report_required = models.BooleanField(_("beslissing 1: melden noodzakelijk"),
                                                 null=True)
    advice_help_possible = models.BooleanField(_("beslissing 2: hulp (ook) mogelijk"), null=True)
    advice_reporting_norm = models.PositiveSmallIntegerField(_("meldnorm"), null=True, blank=True)
    answers_snapshot = models.JSONField(_("antwoorden op het moment van besluiten"), default=dict)
    deviates = models.BooleanField(_("wijkt af van het advies"), default=False)
    deviation_reason = models.TextField(_("reden om af te wijken van het advies"), blank=True)
    # Urgent: the veiligheidscoördinator decides alone (decide_urgent); otherwise the SOT.
    urgent = models.BooleanField(_("spoedbesluit door de veiligheidscoördinator"), default=False)
    sot_meeting = models.ForeignKey("cases.SotMeeting", on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="+", verbose_name=_("SOT-overleg"))
    # Snapshot of who was present with their roles: [{"user_id", "name", "role"}], plus people
    # without an account: [{"name", "role"}].
    present = models.JSONField(_("aanwezig bij het besluit"), default=list)
    present_external = models.JSONField(_("andere aanwezigen"), default=list, blank=True)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="+", verbose_name=_("wie meldt"))
    parents_informer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                         null=True, blank=True, related_name="+",
                                         verbose_name=_("wie informeert de ouders"))
    parents_informer_other = models.CharField(_("of: andere persoon of instantie"),
                                              max_length=200, blank=True)
    parents_inform_on = models.DateField(_("ouders worden geïnformeerd op"), null=True,
                                         blank=True)
    parents_exception = models.CharField(_("reden om de ouders niet vooraf te informeren"),
                                         max_length=30, blank=True,
                                         choices=ParentsException.choices)
    parents_exception_explanation = models.TextField(_("toelichting"), blank=True)
    meldcode_version = models.CharField(_("versie meldcode en afwegingskader"), max_length=100)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("besluit in stap 5")
        verbose_name_plural = _("besluiten in stap 5")
        ordering = ["decided_on", "created_at", "pk"]
        indexes = [models.Index(fields=["case", "cycle", "-created_at"])]
        constraints = [
            models.CheckConstraint(name="decision_deviation_has_reason",
                                   condition=Q(deviates=False) | ~Q(deviation_reason=""),
                                   violation_error_message=_("Geef de reden om af te wijken van "
                                                             "het advies.")),
            models.CheckConstraint(
                name="decision_report_has_reporter",
                condition=~Q(choice__in=["melden", "beide"]) | Q(reporter__isnull=False),
                violation_error_message=_("Kies wie de melding doet.")),
        ]

    def __str__(self):
        return str(_("Besluit van %(date)s") % {"date": self.decided_on})

    @property
    def includes_report(self) -> bool:
        return self.choice in REPORTING_DECISIONS

    @property
    def includes_help(self) -> bool:
        return self.choice in HELPING_DECISIONS


# --- Veilig Thuis ------------------------------------------------------------------------


class VeiligThuisReport(CaseCycleModel, LockVersionModel):
    """A report (melding) to Veilig Thuis as made by a person (R20). The app sends nothing."""

    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="reports", verbose_name=_("besluit"))
    reported_at = models.DateTimeField(_("datum en tijd van de melding"))
    channel = models.CharField(_("hoe is gemeld"), max_length=20, choices=Channel.choices)
    channel_other = models.CharField(_("anders, namelijk"), max_length=200, blank=True)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("melder"))
    # [{"name": ..., "relation": ...}]
    persons_involved = models.JSONField(_("betrokkenen"), default=list)
    signals = models.ManyToManyField("signals.Signal", through="VeiligThuisReportSignal",
                                     related_name="+", verbose_name=_("meegestuurde signalen"))
    steps_taken = models.TextField(_("gezette stappen tot nu toe"))
    # "Open melden, tenzij" (R8, domain.md §5).
    parents_informed = models.BooleanField(_("ouders/verzorgers vooraf geïnformeerd"))
    parents_informed_how = models.TextField(_("hoe zijn de ouders geïnformeerd"), blank=True)
    parents_reaction = models.TextField(_("reactie van de ouders"), blank=True)
    parents_exception = models.CharField(_("reden om de ouders niet vooraf te informeren"),
                                         max_length=30, blank=True,
                                         choices=ParentsException.choices)
    parents_exception_explanation = models.TextField(_("toelichting"), blank=True)
    # R21: anonymity towards the family only on an allowed ground.
    anonymity_requested = models.BooleanField(_("gevraagd de melder af te schermen voor het gezin"),
                                              default=False)
    anonymity_reason = models.CharField(_("reden"), max_length=30, blank=True,
                                        choices=AnonymityReason.choices)
    anonymity_explanation = models.TextField(_("toelichting bij de afscherming"), blank=True)
    vt_reference = models.CharField(_("kenmerk van Veilig Thuis"), max_length=100, blank=True)
    # R22: feedback expected after the safety assessment (5 working days) and after any
    # investigation. Due-date columns scanned by the reminders (partial indexes below).
    safety_feedback_due = models.DateField(_("terugkoppeling na veiligheidsbeoordeling verwacht"))
    safety_feedback_received_on = models.DateField(
        _("terugkoppeling na veiligheidsbeoordeling ontvangen op"), null=True, blank=True)
    investigation_feedback_due = models.DateField(
        _("terugkoppeling na onderzoek verwacht"), null=True, blank=True)
    investigation_feedback_received_on = models.DateField(
        _("terugkoppeling na onderzoek ontvangen op"), null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["lock_version"])

    class Meta:
        verbose_name = _("melding bij Veilig Thuis")
        verbose_name_plural = _("meldingen bij Veilig Thuis")
        ordering = ["reported_at", "pk"]
        indexes = [
            models.Index(fields=["case", "cycle"]),
            models.Index(fields=["safety_feedback_due"], name="vt_safety_feedback_due",
                         condition=Q(safety_feedback_received_on__isnull=True)),
            models.Index(fields=["investigation_feedback_due"],
                         name="vt_investigation_feedback_due",
                         condition=Q(investigation_feedback_due__isnull=False,
                                     investigation_feedback_received_on__isnull=True)),
        ]
        constraints = [
            models.CheckConstraint(
                name="vt_report_open_unless",
                condition=(Q(parents_informed=True) & ~Q(parents_informed_how=""))
                | (Q(parents_informed=False) & Q(parents_exception__in=ParentsException.values)
                   & ~Q(parents_exception_explanation="")),
                violation_error_message=_("Open melden is de norm: beschrijf hoe de ouders zijn "
                                          "geïnformeerd, of kies de reden om dat niet vooraf te "
                                          "doen en licht die toe.")),
            models.CheckConstraint(
                name="vt_report_anonymity_reason",
                condition=Q(anonymity_requested=False)
                | Q(anonymity_reason__in=AnonymityReason.values),
                violation_error_message=_("Kies een toegestane reden om de melder af te "
                                          "schermen.")),
        ]

    def __str__(self):
        return str(_("Melding bij Veilig Thuis van %(date)s")
                   % {"date": self.reported_at.date()})


class VeiligThuisReportSignal(models.Model):
    """A signal included in a report (its facts, labelled interpretations and source)."""

    report = models.ForeignKey(VeiligThuisReport, on_delete=models.CASCADE,
                               related_name="signal_links")
    signal = models.ForeignKey("signals.Signal", on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("signaal in melding")
        verbose_name_plural = _("signalen in melding")
        constraints = [models.UniqueConstraint(fields=["report", "signal"],
                                               name="unique_report_signal")]


class VeiligThuisFeedback(AppendOnlyModel):
    """Feedback from Veilig Thuis after a report (R22)."""

    report = models.ForeignKey(VeiligThuisReport, on_delete=models.CASCADE,
                               related_name="feedback", verbose_name=_("melding"))
    kind = models.CharField(_("soort terugkoppeling"), max_length=30,
                            choices=FeedbackKind.choices)
    received_on = models.DateField(_("ontvangen op"))
    content = models.TextField(_("inhoud van de terugkoppeling"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("vastgelegd door"))
    created_at = models.DateTimeField(_("vastgelegd op"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("terugkoppeling van Veilig Thuis")
        verbose_name_plural = _("terugkoppelingen van Veilig Thuis")
        ordering = ["received_on", "pk"]


class SchoolRoleAgreement(LockVersionModel):
    """What the SOT agreed with Veilig Thuis about the school's continuing role (R23)."""

    report = models.ForeignKey(VeiligThuisReport, on_delete=models.CASCADE,
                               related_name="role_agreements", verbose_name=_("melding"))
    agreed_on = models.DateField(_("afgesproken op"))
    vt_contact = models.CharField(_("met wie bij Veilig Thuis"), max_length=200, blank=True)
    school_role = models.TextField(_("wat de school blijft doen"))
    parents_informed_by = models.CharField(_("wie informeert de ouders"), max_length=200,
                                           blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("vastgelegd door"))
    created_at = models.DateTimeField(_("vastgelegd op"), auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["lock_version"])

    class Meta:
        verbose_name = _("afspraak over de rol van de school")
        verbose_name_plural = _("afspraken over de rol van de school")
        ordering = ["agreed_on", "pk"]


class InformationRequest(CaseCycleModel, AppendOnlyModel):
    """Information given to Veilig Thuis on its request, with the legal basis (R24)."""

    report = models.ForeignKey(VeiligThuisReport, on_delete=models.SET_NULL, null=True,
                               blank=True, related_name="information_requests",
                               verbose_name=_("bij melding"))
    requested_on = models.DateField(_("gevraagd op"))
    requested_by = models.CharField(_("gevraagd door (naam of functie bij Veilig Thuis)"),
                                    max_length=200)
    given_on = models.DateField(_("gegeven op"))
    information_given = models.TextField(_("welke informatie is gegeven"))
    legal_basis = models.CharField(_("grondslag"), max_length=20, choices=LegalBasis.choices,
                                   default=LegalBasis.MELDRECHT)
    legal_basis_explanation = models.TextField(_("toelichting op de grondslag"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("informatie aan Veilig Thuis op verzoek")
        verbose_name_plural = _("informatie aan Veilig Thuis op verzoek")
        ordering = ["given_on", "pk"]


# --- help and follow-up -------------------------------------------------------------------


class HelpPlan(CaseCycleModel, LockVersionModel):
    """The help path after Q4 = ja (R13): Q5 becomes due on ``evaluation_on``."""

    decision = models.ForeignKey(Decision, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("besluit"))
    help_description = models.TextField(_("welke hulp"))
    coordinator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+",
                                    verbose_name=_("zorgcoördinator (medewerker)"))
    coordinator_name = models.CharField(_("of: zorgcoördinator buiten de school"),
                                        max_length=200, blank=True)
    roles = models.JSONField(_("rollen"), default=list)  # [{"name", "role"}]
    expected_results = models.TextField(_("verwachte (meetbare) resultaten"))
    period_start = models.DateField(_("begin van de termijn"))
    period_end = models.DateField(_("einde van de termijn"))
    evaluation_on = models.DateField(_("evaluatiedatum (vraag 5)"))
    # Set when Q5 is answered: the plan is then evaluated and no longer due.
    completed_on = models.DateField(_("geëvalueerd op"), null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["lock_version"])

    class Meta:
        verbose_name = _("hulpplan")
        verbose_name_plural = _("hulpplannen")
        indexes = [models.Index(fields=["evaluation_on"], name="help_plan_evaluation_due",
                                condition=Q(completed_on__isnull=True))]
        constraints = [
            models.UniqueConstraint(fields=["case", "cycle"], name="one_help_plan_per_cycle"),
            models.CheckConstraint(name="help_plan_has_coordinator",
                                   condition=Q(coordinator__isnull=False)
                                   | ~Q(coordinator_name=""),
                                   violation_error_message=_("Kies of vul de zorgcoördinator "
                                                             "in.")),
            models.CheckConstraint(name="help_plan_period_ordered",
                                   condition=Q(period_end__gte=models.F("period_start")),
                                   violation_error_message=_("Het einde van de termijn ligt vóór "
                                                             "het begin.")),
        ]

    def __str__(self):
        return str(_("Hulpplan ronde %(cycle)s") % {"cycle": self.cycle})


class FollowUpAction(CaseCycleModel, LockVersionModel):
    """A monitoring action in the follow-up phase, with an owner and a due date (R40)."""

    description = models.TextField(_("actie"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="+", verbose_name=_("uitvoerder"))
    due_on = models.DateField(_("uiterlijk op"))
    done_on = models.DateField(_("uitgevoerd op"), null=True, blank=True)
    result = models.TextField(_("resultaat"), blank=True)
    history = HistoricalRecords(excluded_fields=["lock_version"])

    class Meta:
        verbose_name = _("actie in de volgfase")
        verbose_name_plural = _("acties in de volgfase")
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["due_on"], name="followup_action_due",
                                condition=Q(done_on__isnull=True))]


class Evaluation(CaseCycleModel, AppendOnlyModel):
    """An evaluation of the help and the pupil's safety (R40, R41)."""

    evaluated_on = models.DateField(_("datum van de evaluatie"))
    participants = models.JSONField(_("deelnemers"), default=list, blank=True)
    outcome = models.CharField(_("uitkomst"), max_length=20, choices=EvaluationOutcome.choices)
    note = models.TextField(_("evaluatie"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("evaluatie")
        verbose_name_plural = _("evaluaties")
        ordering = ["evaluated_on", "pk"]


class AftercareNote(CaseCycleModel, AppendOnlyModel):
    """Aftercare for the pupil after the help or the report (R40)."""

    occurred_on = models.DateField(_("datum"))
    note = models.TextField(_("nazorg"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("nazorg")
        verbose_name_plural = _("nazorg")
        ordering = ["occurred_on", "pk"]


class MonitoringAgreement(CaseCycleModel, LockVersionModel):
    """Agreements on monitoring future (un)safety with family and partners (R14, R41)."""

    agreed_on = models.DateField(_("afgesproken op"))
    parties = models.CharField(_("met wie"), max_length=300)
    agreement = models.TextField(_("afspraken over het volgen van de (on)veiligheid"))
    review_on = models.DateField(_("opnieuw bekijken op"), null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["lock_version"])

    class Meta:
        verbose_name = _("afspraak over monitoring")
        verbose_name_plural = _("afspraken over monitoring")
        ordering = ["agreed_on", "pk"]


class BottleneckNote(CaseCycleModel, AppendOnlyModel):
    """A non-identifying note on a bottleneck, collected for policy advice (R42)."""

    school = models.ForeignKey("schools.School", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("school"))
    theme = models.CharField(_("thema"), max_length=20, choices=BottleneckTheme.choices)
    note = models.TextField(_("knelpunt"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("knelpunt voor beleid")
        verbose_name_plural = _("knelpunten voor beleid")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["school", "theme"])]
