"""Retention and destruction of case files (bewaartermijnen, R36).

- ``RetentionTerm``: the board's term per record type, in years after the pupil leaves the
  school (``schools.Pupil.left_on``); without a row the default of two years applies
  (domain.md §7: school pupil files up to two years after the pupil leaves).
- ``LegalHold``: a reason to keep a case past its term (a complaint, a court case, a request
  of Veilig Thuis or the police). While a hold is active the case is never due.
- ``DestructionProposal``: the two-person approval of one destruction. A case whose term has
  ended is *due* (computed, ``retention.selectors``); the first approval creates the row, the
  confirmation by the other role carries the destruction out. States only move forward:
  ``goedgekeurd`` → ``uitgevoerd`` or ``vervallen``.
- ``Tombstone``: what is left after a destruction: the kind of record, a pseudonymous pupil
  reference, when, who approved and confirmed, under which rule, and counts. No content.
- ``DestructionRequest``: a pupil aged 16 or over asks the school to destroy their file
  (AVG art. 17); recorded by staff, reviewed, carried out through the same two-person
  destruction or refused with a reason.

``RetentionTerm`` (a board setting that changes) keeps django-simple-history: who set which
term when. The others carry none: their rows are themselves the audit trail (who placed and
lifted a hold, who approved and confirmed, who decided a request), and history rows would keep
the case id after the case is gone.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class RecordType(models.TextChoices):
    CASE = "dossier", _("Meldcode-dossier (met signalen, verslagen en wijzigingen)")
    # A signal that never became part of any case (no CaseSignal row, now or in history).
    LOOSE_SIGNAL = "los_signaal", _("Los signaal (nooit in een dossier)")


# R36 default: two years after the pupil leaves the school (domain.md §7, [E13b][E21c]).
# A loose signal: two years after the *last* of its pupils left.
DEFAULT_TERM_YEARS = {RecordType.CASE: 2, RecordType.LOOSE_SIGNAL: 2}
MIN_TERM_YEARS, MAX_TERM_YEARS = 1, 20


class RetentionTerm(models.Model):
    board = models.ForeignKey("schools.Board", on_delete=models.CASCADE,
                              related_name="retention_terms", verbose_name=_("schoolbestuur"))
    record_type = models.CharField(_("soort gegevens"), max_length=20, choices=RecordType.choices)
    years = models.PositiveSmallIntegerField(
        _("bewaartermijn in jaren na uitschrijving"),
        validators=[MinValueValidator(MIN_TERM_YEARS), MaxValueValidator(MAX_TERM_YEARS)])
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("bewaartermijn")
        verbose_name_plural = _("bewaartermijnen")
        constraints = [
            models.UniqueConstraint(fields=["board", "record_type"], name="unique_retention_term"),
            models.CheckConstraint(name="retention_term_years",
                                   condition=Q(years__gte=MIN_TERM_YEARS, years__lte=MAX_TERM_YEARS)),
        ]


class LegalHold(models.Model):
    """Keeps a case past its term. Part of the case: destroyed with it once lifted."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="legal_holds",
                             verbose_name=_("dossier"))
    reason = models.TextField(_("reden om te bewaren"))
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("vastgelegd door"))
    placed_at = models.DateTimeField(_("vastgelegd op"), auto_now_add=True)
    lifted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                  blank=True, related_name="+", verbose_name=_("opgeheven door"))
    lifted_at = models.DateTimeField(_("opgeheven op"), null=True, blank=True)
    lift_reason = models.TextField(_("reden van opheffen"), blank=True)

    class Meta:
        verbose_name = _("bewaarplicht")
        verbose_name_plural = _("bewaarplichten")
        ordering = ["-placed_at", "-pk"]
        indexes = [models.Index(fields=["case"], name="legal_hold_active",
                                condition=Q(lifted_at__isnull=True))]
        constraints = [
            models.CheckConstraint(name="legal_hold_reason", condition=~Q(reason="")),
            models.CheckConstraint(name="legal_hold_lift_complete",
                                   condition=Q(lifted_at__isnull=True, lifted_by__isnull=True)
                                   | (Q(lifted_at__isnull=False, lifted_by__isnull=False)
                                      & ~Q(lift_reason=""))),
        ]

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None


class Rule(models.TextChoices):
    TERM = "bewaartermijn", _("bewaartermijn verlopen (R36)")
    REQUEST = "verzoek_leerling", _("verzoek van de leerling om vernietiging (AVG art. 17)")


class ApproverRole(models.TextChoices):
    VC = "vc", _("veiligheidscoördinator")
    DIRECTEUR = "directeur", _("directeur")


class ProposalState(models.TextChoices):
    APPROVED = "goedgekeurd", _("goedgekeurd, wacht op bevestiging")
    DONE = "uitgevoerd", _("vernietigd")
    INVALID = "vervallen", _("vervallen")


class DestructionProposal(models.Model):
    """One attempt at destroying one case or one loose signal: the first approval, then
    confirmation or lapse.

    Loose signals reuse this model rather than a second one: the two-person rule, its
    constraints (two people, two roles, one waiting approval per subject), the lapse and the
    link to the tombstone are exactly the same, and one model keeps one audit trail and one
    state machine to review. The subject is ``case`` *or* ``signal`` (``record_type`` says
    which): the services create a proposal with exactly one of them; both are NULL once the
    subject is destroyed (SET_NULL, and the purge nulls them itself); a check constraint
    forbids both, and the subject of the other record type. A loose signal's
    proposal never has a pupil's ``request`` (pupils' requests cover case files only).
    """

    record_type = models.CharField(_("soort gegevens"), max_length=20, choices=RecordType.choices,
                                   default=RecordType.CASE)
    # SET_NULL: after the destruction the row keeps no case id (the tombstone says the rest).
    case = models.ForeignKey("cases.Case", on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+", verbose_name=_("dossier"))
    signal = models.ForeignKey("signals.Signal", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+", verbose_name=_("signaal"))
    school = models.ForeignKey("schools.School", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("school"))
    state = models.CharField(_("status"), max_length=12, choices=ProposalState.choices,
                             default=ProposalState.APPROVED)
    rule = models.CharField(_("grond"), max_length=20, choices=Rule.choices)
    rule_text = models.CharField(_("toelichting grond"), max_length=300)
    request = models.ForeignKey("DestructionRequest", on_delete=models.PROTECT, null=True,
                                blank=True, related_name="proposals",
                                verbose_name=_("verzoek van de leerling"))
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("goedgekeurd door"))
    approved_role = models.CharField(_("als"), max_length=12, choices=ApproverRole.choices)
    approved_at = models.DateTimeField(_("goedgekeurd op"))
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+",
                                     verbose_name=_("bevestigd door"))
    confirmed_role = models.CharField(_("als"), max_length=12, choices=ApproverRole.choices,
                                      blank=True)
    confirmed_at = models.DateTimeField(_("bevestigd op"), null=True, blank=True)
    invalidated_at = models.DateTimeField(_("vervallen op"), null=True, blank=True)
    invalid_reason = models.CharField(_("reden vervallen"), max_length=300, blank=True)
    tombstone = models.OneToOneField("Tombstone", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="proposal")

    class Meta:
        verbose_name = _("voorstel tot vernietiging")
        verbose_name_plural = _("voorstellen tot vernietiging")
        ordering = ["-approved_at", "-pk"]
        constraints = [
            # One approval waiting per case: a double submit cannot open a second one.
            models.UniqueConstraint(fields=["case"], condition=Q(state="goedgekeurd"),
                                    name="one_open_proposal_per_case"),
            models.UniqueConstraint(fields=["signal"], condition=Q(state="goedgekeurd"),
                                    name="one_open_proposal_per_signal"),
            # Never both subjects, and only the one of its record type. (Not "exactly one":
            # the purge nulls the subject before the same transaction marks the proposal
            # done, and a check constraint is not deferred; the services always create a
            # proposal with its subject.)
            models.CheckConstraint(
                name="proposal_one_subject",
                condition=Q(record_type="dossier", signal__isnull=True)
                | Q(record_type="los_signaal", case__isnull=True, request__isnull=True)),
            models.CheckConstraint(
                name="proposal_two_people",
                condition=Q(confirmed_by__isnull=True) | ~Q(confirmed_by=models.F("approved_by"))),
            models.CheckConstraint(
                name="proposal_two_roles",
                condition=Q(confirmed_role="") | ~Q(confirmed_role=models.F("approved_role"))),
            models.CheckConstraint(
                name="proposal_done_complete",
                condition=~Q(state="uitgevoerd") | Q(confirmed_by__isnull=False,
                                                     tombstone__isnull=False,
                                                     case__isnull=True,
                                                     signal__isnull=True)),
        ]


class Tombstone(models.Model):
    """The deletion log entry (R36). Never holds content, names, the case's number or the
    signal's id."""

    record_type = models.CharField(_("soort gegevens"), max_length=20, choices=RecordType.choices)
    # HMAC-SHA256 of the pupil id under MELDCODE_PSEUDONYM_KEY: the same pupil gives the same
    # reference (two destructions can be related), but it cannot be reversed without the key.
    pupil_ref = models.CharField(_("pseudoniem van de leerling"), max_length=64, db_index=True)
    # A loose signal can concern several pupils: all their references, sorted (``pupil_ref``
    # is the first of them). A case: its one pupil's reference.
    pupil_refs = models.JSONField(_("pseudoniemen van de leerlingen"), default=list, blank=True)
    school = models.ForeignKey("schools.School", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("school"))
    destroyed_at = models.DateTimeField(_("vernietigd op"))
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("goedgekeurd door"))
    approved_role = models.CharField(_("als"), max_length=12, choices=ApproverRole.choices)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("bevestigd door"))
    confirmed_role = models.CharField(_("als"), max_length=12, choices=ApproverRole.choices)
    rule = models.CharField(_("grond"), max_length=20, choices=Rule.choices)
    rule_text = models.CharField(_("toelichting grond"), max_length=300)
    # {"cases.consultation": 2, ...}: how many rows of each kind were removed; no ids.
    removed = models.JSONField(_("verwijderde gegevens (aantallen)"), default=dict)
    history_rows = models.PositiveIntegerField(_("verwijderde historische versies"), default=0)
    files_removed = models.PositiveIntegerField(_("verwijderde bestanden"), default=0)
    access_log_removed = models.PositiveIntegerField(_("verwijderde inzageregels"), default=0)

    class Meta:
        verbose_name = _("vernietigingsregistratie")
        verbose_name_plural = _("vernietigingslog")
        ordering = ["-destroyed_at", "-pk"]


class RequestChannel(models.TextChoices):
    IN_PERSON = "mondeling", _("mondeling")
    LETTER = "brief", _("per brief")
    EMAIL = "e-mail", _("per e-mail")


class RequestDecision(models.TextChoices):
    PENDING = "", _("nog niet beoordeeld")
    CARRY_OUT = "uitvoeren", _("uitvoeren: het dossier wordt vernietigd")
    REFUSED = "geweigerd", _("geweigerd")


class DestructionRequest(models.Model):
    """A pupil aged 16 or over asks the school to destroy their file (AVG art. 17)."""

    school = models.ForeignKey("schools.School", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("school"))
    pupil = models.ForeignKey("schools.Pupil", on_delete=models.PROTECT,
                              related_name="destruction_requests", verbose_name=_("leerling"))
    received_on = models.DateField(_("ontvangen op"))
    channel = models.CharField(_("hoe gevraagd"), max_length=12, choices=RequestChannel.choices)
    request_text = models.TextField(_("wat vraagt de leerling"))
    # AVG art. 12(3): decide within one month of receipt.
    due_on = models.DateField(_("uiterlijk beslissen op"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("vastgelegd door"))
    recorded_at = models.DateTimeField(_("vastgelegd op"), auto_now_add=True)
    decision = models.CharField(_("beslissing"), max_length=12, choices=RequestDecision.choices,
                                blank=True, default=RequestDecision.PENDING)
    decision_reason = models.TextField(_("motivering"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="+", verbose_name=_("beslist door"))
    decided_at = models.DateTimeField(_("beslist op"), null=True, blank=True)

    class Meta:
        verbose_name = _("verzoek tot vernietiging")
        verbose_name_plural = _("verzoeken tot vernietiging")
        ordering = ["-received_on", "-pk"]
        indexes = [models.Index(fields=["due_on"], name="destruction_request_open",
                                condition=Q(decision=""))]
        constraints = [
            models.CheckConstraint(name="destruction_request_refusal_reason",
                                   condition=~Q(decision="geweigerd") | ~Q(decision_reason="")),
            models.CheckConstraint(name="destruction_request_due_after_receipt",
                                   condition=Q(due_on__gte=models.F("received_on"))),
        ]

    def __str__(self):
        return str(_("Verzoek tot vernietiging %(id)s") % {"id": self.pk})

    @property
    def is_open(self) -> bool:
        return self.decision == RequestDecision.PENDING
