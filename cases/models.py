"""The case (dossier): one pupil at one school (R1), its Meldcode step, and its records.

Three layers of record: the models below say what the case is now; ``StepTransition`` rows
and django-simple-history say how it got here; ``AccessLog`` says who looked.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from core.fields import IdListField
from core.models import AppendOnlyModel, LockVersionModel


class Step(models.IntegerChoices):
    """The five statutory Meldcode steps plus the follow-up phase (domain.md §3)."""

    SIGNALEN = 1, _("Stap 1: signalen in kaart brengen")
    CONSULTATIE = 2, _("Stap 2: collegiale consultatie en zo nodig Veilig Thuis raadplegen")
    GESPREK = 3, _("Stap 3: gesprek met de ouders/verzorgers en/of de leerling")
    WEGEN = 4, _("Stap 4: wegen van het geweld of de kindermishandeling")
    BESLISSEN = 5, _("Stap 5: beslissen met het afwegingskader: hulp bieden en/of melden")
    VOLGEN = 6, _("Volgen en afsluiten")


# The school support route beside the Meldcode steps (protocol, Table 2).
SUPPORT_ROUTE = {
    Step.SIGNALEN: _("Ondersteuningsroute 1: observeren, signaleren en begeleiden"),
    Step.CONSULTATIE: _("Ondersteuningsroute 2: collegiale consultatie"),
    Step.GESPREK: _("Ondersteuningsroute 2: collegiale consultatie, bespreken met ouders"),
    Step.WEGEN: _("Ondersteuningsroute 3: overleg in het schoolondersteuningsteam (SOT)"),
    Step.BESLISSEN: _("Ondersteuningsroute 3–4: afspraken in het SOT en uitvoering acties"),
    Step.VOLGEN: _("Ondersteuningsroute 5: nazorg en evaluatie"),
}

SHORT_STEP = {
    Step.SIGNALEN: _("Signalen"), Step.CONSULTATIE: _("Consultatie"), Step.GESPREK: _("Gesprek"),
    Step.WEGEN: _("Wegen"), Step.BESLISSEN: _("Beslissen"), Step.VOLGEN: _("Volgen"),
}


class Status(models.TextChoices):
    OPEN = "open", _("lopend")
    CLOSED = "gesloten", _("afgesloten")


class Route(models.TextChoices):
    MELDCODE = "meldcode", _("Meldcode")
    # domain.md §6: suspected perpetrator is staff; the board's route, not the school's.
    STAFF = "personeel", _("vermoeden tegen een medewerker (route bevoegd gezag)")


class CloseReason(models.TextChoices):
    NO_CONCERN = "geen_zorg", _("zorgen weggenomen: geen vermoeden meer")
    REGULAR_SUPPORT = "reguliere_zorg", _("verder in de reguliere ondersteuning")
    REPORTED = "gemeld", _("gemeld bij Veilig Thuis, Veilig Thuis heeft het overgenomen")
    HELP_DONE = "hulp_afgerond", _("hulp afgerond met afspraken over monitoring")
    PUPIL_LEFT = "vertrokken", _("leerling heeft de school verlaten")
    OTHER = "anders", _("anders")


class Case(LockVersionModel):
    school = models.ForeignKey("schools.School", on_delete=models.PROTECT, related_name="cases",
                               verbose_name=_("school"))
    pupil = models.ForeignKey("schools.Pupil", on_delete=models.PROTECT, related_name="cases",
                              verbose_name=_("leerling"))
    number = models.CharField(_("dossiernummer"), max_length=20)
    route = models.CharField(_("route"), max_length=20, choices=Route.choices,
                             default=Route.MELDCODE)
    step = models.PositiveSmallIntegerField(_("stap"), choices=Step.choices, default=Step.SIGNALEN)
    step_entered_at = models.DateTimeField(_("in deze stap sinds"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.OPEN)
    cycle = models.PositiveSmallIntegerField(_("ronde"), default=1)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="owned_cases", verbose_name=_("casusregisseur"))
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("geopend door"))
    opened_at = models.DateTimeField(_("geopend op"), auto_now_add=True)
    closed_at = models.DateTimeField(_("afgesloten op"), null=True, blank=True)
    close_reason = models.CharField(_("reden van afsluiten"), max_length=20, blank=True,
                                    choices=CloseReason.choices)
    close_explanation = models.TextField(_("toelichting bij afsluiten"), blank=True)
    acute = models.BooleanField(_("acuut gevaar gemeld"), default=False)
    # R48: the version of the Meldcode and afwegingskader the case is handled under.
    meldcode_version = models.CharField(_("versie meldcode"), max_length=100)
    signals = models.ManyToManyField("signals.Signal", through="CaseSignal", related_name="cases")
    history = HistoricalRecords(excluded_fields=["lock_version"])

    class Meta:
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        ordering = ["-opened_at"]
        permissions = [
            ("open_case", _("Mag een dossier openen en signalen toevoegen")),
            ("view_school_cases", _("Mag alle dossiers van de school zien")),
            ("advance_case", _("Mag een dossier naar een volgende stap zetten")),
            ("add_record", _("Mag verslagen aan een dossier toevoegen")),
            ("contribute_case", _("Mag bijdragen aan dit dossier")),
            ("decide_case", _("Mag het besluit in stap 5 vastleggen (SOT)")),
            ("decide_urgent", _("Mag bij spoed het besluit in stap 5 vastleggen")),
            ("export_dossier", _("Mag een dossier exporteren")),
            ("view_access_log", _("Mag zien wie een dossier heeft geopend")),
            ("view_staff_route", _("Mag dossiers in de route bevoegd gezag zien")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["school", "number"], name="unique_case_number"),
            models.CheckConstraint(name="closed_has_reason",
                                   condition=Q(status="open") | ~Q(close_reason="")),
        ]
        indexes = [
            models.Index(fields=["school", "status", "step"]),
            models.Index(fields=["pupil", "status"]),
        ]

    def __str__(self):
        return _("Dossier %(number)s") % {"number": self.number}

    @property
    def is_open(self):
        return self.status == Status.OPEN

    @property
    def support_route_label(self):
        return SUPPORT_ROUTE[Step(self.step)]

    @property
    def step_short(self):
        return SHORT_STEP[Step(self.step)]


class CaseUserObjectPermission(UserObjectPermissionBase):
    """Need-to-know grants to one user on one case (invitation, staff-route assignment)."""

    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        abstract = False
        indexes = [models.Index(fields=["user", "permission"])]


class CaseGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        abstract = False


class TransitionKind(models.TextChoices):
    OPEN = "geopend", _("geopend")
    FORWARD = "verder", _("naar volgende stap")
    BACK = "terug", _("terug naar eerdere stap")
    CLOSE = "afgesloten", _("afgesloten")
    REOPEN = "heropend", _("heropend (nieuwe ronde)")


class StepTransition(AppendOnlyModel):
    """Append-only: who moved the case, from which step to which, when and why."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="transitions")
    kind = models.CharField(_("soort"), max_length=12, choices=TransitionKind.choices)
    from_step = models.PositiveSmallIntegerField(_("van stap"), choices=Step.choices, null=True)
    to_step = models.PositiveSmallIntegerField(_("naar stap"), choices=Step.choices)
    cycle = models.PositiveSmallIntegerField(_("ronde"), default=1)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("door"))
    at = models.DateTimeField(_("op"), auto_now_add=True)
    reason = models.TextField(_("reden"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("stapwissel")
        verbose_name_plural = _("stapwissels")
        ordering = ["at", "pk"]
        constraints = [models.CheckConstraint(
            name="back_or_close_has_reason",
            condition=~Q(kind__in=["terug", "afgesloten", "heropend"]) | ~Q(reason=""))]


class CaseSignal(AppendOnlyModel):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="signal_links")
    signal = models.ForeignKey("signals.Signal", on_delete=models.PROTECT, related_name="case_links")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("signaal in dossier")
        verbose_name_plural = _("signalen in dossier")
        constraints = [models.UniqueConstraint(fields=["case", "signal"], name="unique_case_signal")]


class AccessAction(models.TextChoices):
    VIEW = "bekeken", _("bekeken")
    DOWNLOAD = "gedownload", _("gedownload")
    EXPORT = "geëxporteerd", _("geëxporteerd")
    HISTORY = "wijzigingen_bekeken", _("wijzigingen bekeken")
    LISTED = "in_lijst", _("in een overzicht getoond")
    # R32: what happened to a private working note (``worknotes``); ids only, never its text.
    NOTE_CREATED = "notitie_gemaakt", _("werkaantekening gemaakt")
    NOTE_SHARED = "notitie_gedeeld", _(
        "werkaantekening gedeeld (nu een aantekening in het dossier)")
    NOTE_DELETED = "notitie_verwijderd", _("werkaantekening verwijderd")
    NOTE_EXPIRED = "notitie_verlopen", _("werkaantekening verlopen en verwijderd")


class AccessLog(models.Model):
    """Who read which case data, when (architecture: the third layer of record).

    Holds ids and a kind, never content. Written for every read of a case, signal,
    attachment, timeline, change history or export.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    school = models.ForeignKey("schools.School", on_delete=models.PROTECT, related_name="+")
    # No index of its own: the (case, -at) index below serves every lookup by case (one index
    # fewer to update on each of the many inserts).
    case = models.ForeignKey(Case, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="access_log", db_index=False)
    object_type = models.CharField(max_length=40)
    # The one object read; empty on an overview's row, which names its objects in listed_ids.
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    action = models.CharField(max_length=20, choices=AccessAction.choices,
                              default=AccessAction.VIEW)
    # An overview (action LISTED) logs ONE row per school and object type it showed, with the
    # ids of the objects of ``object_type`` in it, instead of a row per object: a case list
    # of 50 cases is one row, not 50 (each with six index entries). Found per object with
    # ``listed_ids__has_id`` (PostgreSQL: a partial GIN index, migration 0005).
    listed_ids = IdListField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("inzage")
        verbose_name_plural = _("inzagelogboek")
        ordering = ["-at"]
        indexes = [models.Index(fields=["case", "-at"]),
                   models.Index(fields=["object_type", "object_id"])]


class AccessGrantAction(models.TextChoices):
    READ = "lezen", _("uitgenodigd om te lezen")
    CONTRIBUTE = "bijdragen", _("uitgenodigd om te lezen en verslagen toe te voegen")
    REVOKED = "ingetrokken", _("toegang ingetrokken")


class AccessGrantEvent(AppendOnlyModel):
    """Who invited whom into a case, or withdrew the invitation, and when.

    The grants themselves are guardian rows that are replaced or deleted; this is their
    append-only trail, so that who could read a case at any moment can be reconstructed.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="grant_events")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("medewerker"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                              blank=True, related_name="+", verbose_name=_("door"))
    action = models.CharField(_("wijziging"), max_length=20, choices=AccessGrantAction.choices)
    at = models.DateTimeField(_("op"), auto_now_add=True)

    class Meta:
        verbose_name = _("wijziging in de toegang")
        verbose_name_plural = _("wijzigingen in de toegang")
        ordering = ["-at", "-pk"]


class CaseRecord(LockVersionModel):
    """Common fields of every step record: date, author, participants and their roles."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="%(class)s_set")
    step = models.PositiveSmallIntegerField(_("stap"), choices=Step.choices)
    occurred_on = models.DateField(_("datum"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("auteur"))
    created_at = models.DateTimeField(_("vastgelegd op"), auto_now_add=True)
    # [{"name": "...", "role": "..."}]: people outside the app (parents, external advisers) too.
    participants = models.JSONField(_("deelnemers"), default=list, blank=True)
    history = HistoricalRecords(inherit=True, excluded_fields=["lock_version"])

    class Meta:
        abstract = True
        ordering = ["occurred_on", "created_at"]


class VerwijsindexRegistration(CaseRecord):
    """A signal given in the Verwijsindex: only that it happened, never why (R43–R45)."""

    parents_informed = models.BooleanField(_("ouders geïnformeerd"), default=False)
    review_on = models.DateField(_("herbeoordelen uiterlijk"))
    withdrawn_on = models.DateField(_("ingetrokken op"), null=True, blank=True)

    class Meta(CaseRecord.Meta):
        verbose_name = _("registratie in de Verwijsindex")
        verbose_name_plural = _("registraties in de Verwijsindex")
        indexes = [models.Index(fields=["review_on"], name="vir_review_due",
                                condition=Q(withdrawn_on__isnull=True))]


class Regie(models.TextChoices):
    """Who leads the care after a Verwijsindex match (the *regievoerder*, domain.md §8)."""

    PENDING = "", _("nog niet afgesproken")
    SCHOOL = "school", _("onze school")
    OTHER = "andere_organisatie", _("een andere organisatie")


class VerwijsindexMatch(LockVersionModel):
    """A match on a Verwijsindex registration, and the regievoerder agreed after it (R44).

    A match means that two or more professionals gave a signal about the same youth; the
    Verwijsindex tells them so, and they agree who leads (the *regievoerder*). The index itself
    stores no reason, no content and no parent data (domain.md §8), so this record is just as
    sparse: the day the match notice came, the *other* organisations involved (organisation
    name and optionally a contact person or function: professionals' data, never the child's
    or the parents'), and later who has regie and since when. There is no free-text field on
    purpose.

    Design:

    - A model of its own rather than fields on ``VerwijsindexRegistration``: one registration
      can match several times over its two years (a second organisation signals later), and
      each match has its own regievoerder. It is not a ``CaseRecord``: it has no participants
      and its date is the date of the notice, not of a meeting.
    - ``case`` repeats ``registration.case`` (set by ``cases.records.vir_match_create``, never
      by a form) so that the timeline, the change history and the retention purge find a
      case's matches with one indexed filter, as they do for every other record.
    - ``organisations`` is a short JSON list ``[{"organisation": ..., "contact": ...}]``
      (typed one per line, like the participants of a record): a separate table would add a
      formset and an m2m history for two short strings per line.
    - The regievoerder is either a named staff member of the school (``lead_staff``, chosen
      from the school's people: "our school" always means a person) or another organisation
      with optionally a name or function (``lead_organisation``, ``lead_contact``). The check
      constraints below keep the three states (not yet agreed / our school / other
      organisation) consistent whatever writes the row.
    - Optimistic locking (``lock_version``) and django-simple-history as on every record: the
      regievoerder is usually filled in days after the match, by someone else, and every
      change keeps its author and reason (R31).
    """

    registration = models.ForeignKey(VerwijsindexRegistration, on_delete=models.CASCADE,
                                     related_name="matches",
                                     verbose_name=_("registratie in de Verwijsindex"))
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="vir_matches",
                             verbose_name=_("dossier"))
    step = models.PositiveSmallIntegerField(_("stap"), choices=Step.choices)
    notified_on = models.DateField(_("datum van de matchmelding"))
    # [{"organisation": "...", "contact": "..."}]: the other professionals, never the child.
    organisations = models.JSONField(_("andere betrokken organisaties"), default=list)
    regie = models.CharField(_("regie"), max_length=20, choices=Regie.choices, blank=True,
                             default=Regie.PENDING)
    lead_staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("regievoerder van onze school"))
    lead_organisation = models.CharField(_("organisatie van de regievoerder"), max_length=200,
                                         blank=True)
    lead_contact = models.CharField(_("naam of functie van de regievoerder"), max_length=200,
                                    blank=True)
    regie_agreed_on = models.DateField(_("regie afgesproken op"), null=True, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("auteur"))
    created_at = models.DateTimeField(_("vastgelegd op"), auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["lock_version"])

    class Meta:
        verbose_name = _("match in de Verwijsindex")
        verbose_name_plural = _("matches in de Verwijsindex")
        ordering = ["notified_on", "created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                name="vir_match_regie_consistent",
                condition=(
                    Q(regie="", lead_staff__isnull=True, lead_organisation="", lead_contact="",
                      regie_agreed_on__isnull=True)
                    | Q(regie="school", lead_staff__isnull=False, lead_organisation="",
                        lead_contact="", regie_agreed_on__isnull=False)
                    | (Q(regie="andere_organisatie", lead_staff__isnull=True,
                         regie_agreed_on__isnull=False) & ~Q(lead_organisation=""))),
                violation_error_message=_("Vul de regievoerder volledig in: bij onze school "
                                          "een medewerker, bij een andere organisatie de naam "
                                          "van de organisatie, en de datum van de afspraak.")),
            models.CheckConstraint(
                name="vir_match_regie_after_notice",
                condition=Q(regie_agreed_on__isnull=True)
                | Q(regie_agreed_on__gte=models.F("notified_on")),
                violation_error_message=_("De regie kan niet zijn afgesproken vóór de "
                                          "matchmelding.")),
        ]
        indexes = [models.Index(fields=["notified_on"], name="vir_match_regie_open",
                                condition=Q(regie=""))]

    def __str__(self):
        return _("Match van %(date)s") % {"date": self.notified_on}

    @property
    def has_regie(self) -> bool:
        return bool(self.regie)

    def lead_label(self) -> str:
        """The regievoerder as one line of text ("" while not agreed). Reads ``lead_staff``:
        select it with the match."""
        if self.regie == Regie.SCHOOL and self.lead_staff is not None:
            name = self.lead_staff.get_full_name() or self.lead_staff.username
            return _("%(name)s (onze school)") % {"name": name}
        if self.regie == Regie.OTHER:
            return ", ".join(p for p in (self.lead_organisation, self.lead_contact) if p)
        return ""


def organisations_text(organisations, sep: str = "; ") -> str:
    """``[{"organisation": ..., "contact": ...}]`` as "Organisatie (contact); ..."."""
    parts = []
    for item in organisations or []:
        if not isinstance(item, dict):
            continue
        org, contact = (item.get("organisation") or "").strip(), (item.get("contact") or "").strip()
        if org:
            parts.append(f"{org} ({contact})" if contact else org)
    return sep.join(parts)


class Consultation(CaseRecord):
    """Collegiale consultatie (step 2, R6)."""

    consulted = models.CharField(_("met wie"), max_length=300)
    question = models.TextField(_("vraag of aanleiding"), blank=True)
    advice = models.TextField(_("advies"))
    agreed_actions = models.TextField(_("afgesproken acties"), blank=True)

    class Meta(CaseRecord.Meta):
        verbose_name = _("collegiale consultatie")
        verbose_name_plural = _("collegiale consultaties")


class VeiligThuisAdvice(CaseRecord):
    """An advice request to Veilig Thuis (R16, R19). Anonymous: no child identifiers in the note."""

    adviser = models.CharField(_("adviseur van Veilig Thuis"), max_length=200, blank=True)
    anonymous = models.BooleanField(_("anoniem gevraagd"), default=True)
    question = models.TextField(_("voorgelegde vraag"))
    advice = models.TextField(_("advies van Veilig Thuis"))

    class Meta(CaseRecord.Meta):
        verbose_name = _("adviesvraag aan Veilig Thuis")
        verbose_name_plural = _("adviesvragen aan Veilig Thuis")


class CaseNote(CaseRecord):
    """A general note (aantekening) in the file, at any step.

    The dossier content a shared private working note (``worknotes``, R32) becomes: it has an
    author, a date and history like every other record, and parents may see it on inzage.
    None of the other records fits a free note: a consultation, conversation or advice claims
    something that did not happen, and a signal needs the facts/interpretation split.
    """

    text = models.TextField(_("aantekening"))

    class Meta(CaseRecord.Meta):
        verbose_name = _("aantekening")
        verbose_name_plural = _("aantekeningen")


class ConversationKind(models.TextChoices):
    STEP3 = "gesprek", _("gesprek met ouders en/of leerling (stap 3)")
    PARENT_CONTACT = "contact_ouders", _("bespreken met ouders")


class NotHeldReason(models.TextChoices):
    # R8: a fixed list, plus an explanation.
    CHILD_SAFETY = "veiligheid_kind", _("de veiligheid van het kind of een gezinslid komt in gevaar")
    PROFESSIONAL_SAFETY = "veiligheid_professional", _(
        "de veiligheid van de professional of collega's komt in gevaar")
    TRUST = "vertrouwensrelatie", _("de vertrouwensrelatie met het kind of gezin komt in gevaar")
    OTHER = "anders", _("anders")


class Conversation(CaseRecord):
    """A conversation with parents and/or pupil (step 3, R7), or a contact with parents at any
    step; or the reason it was not held (R8)."""

    kind = models.CharField(_("soort"), max_length=20, choices=ConversationKind.choices,
                            default=ConversationKind.STEP3)
    held = models.BooleanField(_("gesprek gevoerd"), default=True)
    with_parents = models.BooleanField(_("met ouders/verzorgers"), default=True)
    with_pupil = models.BooleanField(_("met de leerling"), default=False)
    purpose = models.TextField(_("doel"), blank=True)
    discussed = models.TextField(_("wat is besproken"), blank=True)
    reactions = models.TextField(_("reacties"), blank=True)
    agreements = models.TextField(_("afspraken"), blank=True)
    not_held_reason = models.CharField(_("reden om het gesprek niet te voeren"), max_length=30,
                                       blank=True, choices=NotHeldReason.choices)
    not_held_explanation = models.TextField(_("toelichting"), blank=True)

    class Meta(CaseRecord.Meta):
        verbose_name = _("gesprek")
        verbose_name_plural = _("gesprekken")
        constraints = [models.CheckConstraint(
            name="not_held_has_reason",
            condition=Q(held=True) | (~Q(not_held_reason="") & ~Q(not_held_explanation="")))]


class SotMeeting(LockVersionModel):
    """A meeting of the school support team (step 4, R9); its agenda items link cases."""

    school = models.ForeignKey("schools.School", on_delete=models.PROTECT,
                               related_name="sot_meetings", verbose_name=_("school"))
    held_on = models.DateField(_("datum"))
    chair = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("voorzitter"))
    attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="sot_meetings",
                                       verbose_name=_("aanwezigen"), blank=True)
    external_attendees = models.JSONField(_("externe aanwezigen"), default=list, blank=True)
    parents_attended = models.BooleanField(_("ouders waren aanwezig"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    history = HistoricalRecords(m2m_fields=[attendees], excluded_fields=["lock_version"])

    class Meta:
        verbose_name = _("SOT-overleg")
        verbose_name_plural = _("SOT-overleggen")
        ordering = ["-held_on"]
        indexes = [models.Index(fields=["school", "held_on"])]

    def __str__(self):
        return _("SOT-overleg van %(date)s") % {"date": self.held_on}


class SotDiscussion(CaseRecord):
    """One case on a SOT meeting's agenda, and the weighing of it (step 4, R9)."""

    meeting = models.ForeignKey(SotMeeting, on_delete=models.PROTECT, related_name="discussions")
    nature_severity = models.TextField(_("aard en ernst van de signalen"), blank=True)
    risk_assessment = models.TextField(_("inschatting van de risico's"), blank=True)
    agreed_approach = models.TextField(_("afgesproken aanpak"), blank=True)
    # R16: doubt marked at step 4 prompts a consultation of Veilig Thuis.
    doubt = models.BooleanField(_("er is twijfel over de aard of ernst"), default=False)

    class Meta(CaseRecord.Meta):
        verbose_name = _("bespreking in het SOT")
        verbose_name_plural = _("besprekingen in het SOT")
        constraints = [models.UniqueConstraint(fields=["meeting", "case"],
                                               name="unique_case_per_meeting")]


class StatementChannel(models.TextChoices):
    LETTER = "brief", _("brief of ander schriftelijk stuk")
    EMAIL = "e-mail", _("e-mail")
    VERBAL = "mondeling", _("mondeling gegeven en door de school opgeschreven")


def statement_file_path(instance, filename):
    # No pupil or case identifiers in paths: a random name under the school's folder.
    import uuid

    return f"verklaringen/{instance.case.school_id}/{uuid.uuid4().hex}"


class ParentStatement(CaseRecord):
    """A parent's own statement (zienswijze) on what the dossier says, appended unchanged (R39).

    ``statement`` holds the parents' words as given; a correction by the school is a new
    version with a reason (R31), never a silent change. Who gave it is copied onto the record
    (``given_by_name``, ``relation``, ``had_authority``) so the record keeps saying who it was
    when the parent's details change later; ``parent`` links the known parent, when there is one.
    """

    parent = models.ForeignKey("schools.Parent", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+", verbose_name=_("ouder/verzorger"))
    given_by_name = models.CharField(_("gegeven door"), max_length=200)
    relation = models.CharField(_("relatie tot de leerling"), max_length=100)
    had_authority = models.BooleanField(_("had gezag"), null=True, blank=True)
    received_via = models.CharField(_("ontvangen via"), max_length=20,
                                    choices=StatementChannel.choices)
    responds_to = models.TextField(_("reageert op"), blank=True)
    statement = models.TextField(_("verklaring van de ouders"))
    # Optional: the letter as the parents gave it (a scan, PDF/JPEG/PNG). Set when the
    # statement is added, never replaced (``records.parent_statement_check``).
    file = models.FileField(_("gescande brief"), upload_to=statement_file_path, max_length=255,
                            blank=True)
    file_name = models.CharField(_("bestandsnaam"), max_length=200, blank=True)
    file_type = models.CharField(max_length=100, blank=True)
    file_size = models.PositiveIntegerField(null=True, blank=True)

    class Meta(CaseRecord.Meta):
        verbose_name = _("verklaring van ouders")
        verbose_name_plural = _("verklaringen van ouders")
