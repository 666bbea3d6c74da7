"""The signaal: what a staff member saw or heard about one or more pupils (Meldcode step 1).

Observations are append-only (R31): the text lives in ``SignalVersion`` rows, and a
correction is a new version with a reason. Facts, the child's own words and interpretations
are separate fields (R29), and third-party information names its source (R30).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import AppendOnlyModel


class Category(models.TextChoices):
    PHYSICAL = "lichamelijk", _("lichamelijke mishandeling")
    EMOTIONAL = "emotioneel", _("emotionele mishandeling of verwaarlozing")
    SEXUAL = "seksueel", _("seksueel misbruik")
    NEGLECT = "verwaarlozing", _("lichamelijke verwaarlozing")
    DOMESTIC_VIOLENCE = "getuige_huiselijk_geweld", _("getuige van huiselijk geweld")
    HONOUR = "eergerelateerd", _("eergerelateerd geweld, meisjesbesnijdenis (VGV) of huwelijksdwang")
    OTHER = "anders", _("anders")


class Source(models.TextChoices):
    OWN = "eigen_waarneming", _("eigen waarneming")
    PUPIL = "leerling", _("de leerling zelf")
    PARENT = "ouder", _("een ouder/verzorger")
    COLLEAGUE = "collega", _("een collega")
    THIRD_PARTY = "derde", _("een derde")


# Sources whose information must name the person it came from (R30).
SOURCES_NEEDING_DETAIL = {Source.PARENT, Source.COLLEAGUE, Source.THIRD_PARTY}


class SignalQuerySet(models.QuerySet):
    def normal_route(self):
        return self.filter(staff_suspect=False)


class Signal(models.Model):
    school = models.ForeignKey("schools.School", on_delete=models.PROTECT, related_name="signals",
                               verbose_name=_("school"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="recorded_signals", verbose_name=_("vastgelegd door"))
    recorded_at = models.DateTimeField(_("vastgelegd op"), auto_now_add=True)
    observed_on = models.DateField(_("datum waarneming"))
    category = models.CharField(_("soort zorg"), max_length=30, choices=Category.choices)
    source = models.CharField(_("bron"), max_length=20, choices=Source.choices, default=Source.OWN)
    source_detail = models.CharField(
        _("naam of functie van de bron"), max_length=200, blank=True,
        help_text=_("Verplicht als de informatie van een ander komt."))
    disclosure = models.BooleanField(
        _("het kind heeft zelf iets verteld (disclosure)"), default=False)
    acute_danger = models.BooleanField(_("acuut gevaar"), default=False)
    staff_suspect = models.BooleanField(
        _("vermoedelijke pleger is een medewerker van de school"), default=False)
    acknowledged_at = models.DateTimeField(_("gezien op"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                        null=True, blank=True, related_name="+",
                                        verbose_name=_("gezien door"))
    pupils = models.ManyToManyField("schools.Pupil", through="SignalPupil", related_name="signals")
    history = HistoricalRecords()

    objects = SignalQuerySet.as_manager()

    class Meta:
        verbose_name = _("signaal")
        verbose_name_plural = _("signalen")
        ordering = ["-observed_on", "-recorded_at"]
        permissions = [("triage_signal", _("Mag nieuwe signalen van de school zien en oppakken"))]
        indexes = [
            models.Index(fields=["school", "-recorded_at"]),
            models.Index(fields=["recorded_by", "-recorded_at"]),
            models.Index(fields=["school", "recorded_at"], name="signal_unacknowledged",
                         condition=Q(acknowledged_at__isnull=True)),
        ]

    def __str__(self):
        return _("Signaal %(id)s van %(date)s") % {"id": self.pk, "date": self.observed_on}

    @property
    def is_honour_related(self):
        # R17: honour-related violence, FGM and forced marriage: always consult a specialist.
        return self.category == Category.HONOUR


class PupilRole(models.TextChoices):
    CONCERNED = "betrokken", _("om wie de zorg gaat")
    WITNESS = "getuige", _("getuige")
    OTHER = "anders", _("anders betrokken")


class SignalPupil(models.Model):
    signal = models.ForeignKey(Signal, on_delete=models.CASCADE, related_name="pupil_links")
    pupil = models.ForeignKey("schools.Pupil", on_delete=models.PROTECT, related_name="signal_links")
    role = models.CharField(_("rol in het signaal"), max_length=20, choices=PupilRole.choices,
                            default=PupilRole.CONCERNED)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("leerling in signaal")
        verbose_name_plural = _("leerlingen in signaal")
        constraints = [models.UniqueConstraint(fields=["signal", "pupil"], name="unique_signal_pupil")]


class SignalVersion(AppendOnlyModel):
    """One version of the observation text. The newest version is the current one."""

    signal = models.ForeignKey(Signal, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("versie"))
    facts = models.TextField(_("wat heeft u gezien of gehoord (feiten)"))
    child_words = models.TextField(_("letterlijke woorden van het kind"), blank=True)
    interpretation = models.TextField(_("interpretatie of niet-pluisgevoel"), blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("auteur"))
    created_at = models.DateTimeField(_("opgeslagen op"), auto_now_add=True)
    reason = models.TextField(_("reden van de correctie"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("versie van signaal")
        verbose_name_plural = _("versies van signalen")
        ordering = ["signal", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["signal", "number"], name="unique_signal_version"),
            models.CheckConstraint(name="correction_has_reason",
                                   condition=Q(number=1) | ~Q(reason="")),
        ]


def attachment_path(instance, filename):
    # No pupil or case identifiers in paths: a random name under the school's folder.
    import uuid

    return f"signalen/{instance.signal.school_id}/{uuid.uuid4().hex}"


class SignalAttachment(AppendOnlyModel):
    signal = models.ForeignKey(Signal, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=255)
    original_name = models.CharField(_("bestandsnaam"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("bijlage")
        verbose_name_plural = _("bijlagen")
        ordering = ["uploaded_at"]
