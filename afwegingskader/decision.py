"""The afwegingskader of step 5 as one pure function: :func:`advise`.

Step 5 of the Meldcode ends in two decisions (domain.md §4.1). To keep them apart from the five
numbered questions (which some sources also call "afwegingen"), the code names them:

- **Beslissing 1**, ``Advice.report_required``: is a report to Veilig Thuis necessary?
- **Beslissing 2**, ``Advice.help_possible``: is providing or organising help (also) possible?

The five questions (:data:`QUESTIONS`) are answered in order with ``True`` (ja), ``False`` (nee)
or ``None`` (not answered yet). Question 2 may also be answered :data:`TWIJFEL` ("twijfel",
doubt): in the education variant of the afwegingskader doubt about acute or structural
unsafety means "report immediately" [E5]. Whether doubt counts as *yes* is a per-school setting
(R12, default on), passed in as ``doubt_means_report``; when it is off, doubt counts as *no*
and the explanation asks to consult Veilig Thuis (R16).

Decision table (domain.md §4.2; "-" = not asked, the answer is ignored)::

    Q1   Q2          Q3       Q4       Q5       outcome            report?       help?   norm
    ---  ----------  -------  -------  -------  -----------------  ------------  ------  ----
    ?    -           -        -        -        incomplete (→Q1)   None          None    -
    nee  -           -        -        -        no_suspicion       False         None    -
    ja   ?           -        -        -        incomplete (→Q2)   None          None    -
    ja   ja/twijfel* met VT   met VT   met VT   report             True          None    1
    ja   nee/twijfel ?        -        -        incomplete (→Q3)   None          None    -
    ja   nee/twijfel nee      -        -        report             True          False   2
    ja   nee/twijfel ja       ?        -        incomplete (→Q4)   None          None    -
    ja   nee/twijfel ja       nee      -        report             True          False   2
    ja   nee/twijfel ja       ja       ?        help (→Q5)         False         True    -
    ja   nee/twijfel ja       ja       nee      report_after_help  True          True    3
    ja   nee/twijfel ja       ja       ja       help_succeeded     False         True    -

    * "twijfel" counts as ja with doubt_means_report=True (the default), otherwise as nee.
    ? = not answered yet (None).

On the determined rows the two rules of §4.2 hold:
``report_required = Q2 or not Q3 or not Q4 or (Q5 is False)`` and ``help_possible = Q3 and Q4``,
with two deliberate exceptions:

- Q1 = nee: the Meldcode track stops, so Beslissing 2 is not taken (``help_possible`` is None);
  ordinary support for the pupil may continue, and help may be organised if needed [E6].
- Q2 = ja: Q3-Q5 are answered *together with Veilig Thuis* (R12), and whether help is also
  possible is decided with Veilig Thuis, so ``help_possible`` stays None and answers already
  given to Q3-Q5 do not change the advice (``answered_with_veilig_thuis`` is True).

``report_after_help`` (Q5 = nee): the domain table leaves "help?" open ("-"). We return
``help_possible=True``: Q3 and Q4 were answered ja, so by the rule ``help_possible = Q3 and Q4``
help *was* possible and was given; it just did not bring the necessary results in time. A report
follows (meldnorm 3) and the help may continue next to it; Veilig Thuis decides on what comes
next. Keeping the rule intact also keeps Beslissing 2 recorded as it was taken.

Answers after the answer that decides the outcome are ignored (Q1 = nee with Q2 = ja is still
``no_suspicion``); an open question stops the evaluation (Q3 open with Q4 answered is still
``incomplete``, waiting for Q3). Every argument is validated first, also ignored ones.

This module imports no models: it is used by the step-5 forms and views, the timeline and the
PDF, and it is tested exhaustively in ``tests/afwegingskader/test_decision.py``. The Dutch texts
are lazy translations, evaluated only when rendered; the advice supports the professionals'
judgement, the decision itself rests with them (R51).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal, TypeAlias

from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

__all__ = [
    "Advice",
    "HELP",
    "HELP_SUCCEEDED",
    "INCOMPLETE",
    "NO_SUSPICION",
    "Outcome",
    "QUESTIONS",
    "REPORT",
    "REPORT_AFTER_HELP",
    "TWIJFEL",
    "advise",
    "question_texts",
]

#: The extra answer question 2 accepts: doubt about acute and/or structural unsafety [E5].
TWIJFEL = "twijfel"

Answer: TypeAlias = bool | None
Q2Answer: TypeAlias = bool | Literal["twijfel"] | None


class Outcome(enum.StrEnum):
    """What the afwegingskader advises; the values are stable and may be stored."""

    INCOMPLETE = "incomplete"
    NO_SUSPICION = "no_suspicion"
    REPORT = "report"
    HELP = "help"
    REPORT_AFTER_HELP = "report_after_help"
    HELP_SUCCEEDED = "help_succeeded"


INCOMPLETE = Outcome.INCOMPLETE
NO_SUSPICION = Outcome.NO_SUSPICION
REPORT = Outcome.REPORT
HELP = Outcome.HELP
REPORT_AFTER_HELP = Outcome.REPORT_AFTER_HELP
HELP_SUCCEEDED = Outcome.HELP_SUCCEEDED

#: The five questions of the afwegingskader (domain.md §4.1), by number.
QUESTIONS: Mapping[int, Promise] = MappingProxyType({
    1: _("Heb ik op basis van de stappen 1 tot en met 4 van de meldcode een vermoeden van "
         "(dreiging van) huiselijk geweld en/of kindermishandeling?"),
    2: _("Schat ik in dat er sprake is van acute onveiligheid en/of structurele onveiligheid?"),
    3: _("Ben ik in staat om effectieve hulp te bieden of te organiseren om (de dreiging van) "
         "huiselijk geweld en/of kindermishandeling af te wenden?"),
    4: _("Aanvaarden de betrokkenen de hulp zoals hierboven bedoeld en zijn zij bereid zich in "
         "te zetten?"),
    5: _("Leidt de hulp binnen de gewenste termijn tot de noodzakelijke resultaten ten aanzien "
         "van de veiligheid en/of het welzijn (herstel) van alle betrokkenen?"),
})


def question_texts() -> dict[int, str]:
    """The five question texts by number, rendered in the active language."""
    return {number: str(text) for number, text in QUESTIONS.items()}


# R51: the meldcode is a procedure, not a duty to report; the decision rests with the people.
_PROFESSIONALS_DECIDE = _(
    "Dit is een advies op basis van het afwegingskader: de beslissing ligt bij de professionals "
    "van de school. De meldcode is een stappenplan, geen meldplicht."
)
_INCOMPLETE = _("Er is nog geen advies: beantwoord eerst vraag {number} van het afwegingskader.")
_NO_SUSPICION = _(
    "Er is geen vermoeden van (dreiging van) huiselijk geweld en/of kindermishandeling. Sluit het "
    "traject van de meldcode af en leg de conclusie met de onderbouwing vast in het dossier. De "
    "gewone zorg en ondersteuning voor de leerling kunnen doorgaan; organiseer zo nodig hulp."
)
_REPORT_UNSAFE = _(
    "Er is sprake van acute en/of structurele onveiligheid. Melden bij Veilig Thuis is dan altijd "
    "de norm (meldnorm 1). Beantwoord de vragen 3 tot en met 5 samen met Veilig Thuis; of er "
    "(ook) hulp mogelijk is, wordt met Veilig Thuis besloten."
)
_REPORT_DOUBT = _(
    "Er is twijfel over acute en/of structurele onveiligheid. In het onderwijs betekent twijfel: "
    "direct (telefonisch) melden bij Veilig Thuis (meldnorm 1). Beantwoord de vragen 3 tot en "
    "met 5 samen met Veilig Thuis; of er (ook) hulp mogelijk is, wordt met Veilig Thuis besloten."
)
_DOUBT_AS_NO = _(
    "De twijfel over acute en/of structurele onveiligheid is volgens de instelling van de school "
    "als 'nee' meegeteld. Overleg bij twijfel altijd met Veilig Thuis."
)
_REPORT_NO_HELP = _(
    "De school is niet in staat om effectieve hulp te bieden of te organiseren om (de dreiging "
    "van) huiselijk geweld en/of kindermishandeling af te wenden. Melden bij Veilig Thuis is dan "
    "de norm (meldnorm 2)."
)
_REPORT_HELP_REFUSED = _(
    "De betrokkenen aanvaarden de hulp niet of zijn niet bereid zich in te zetten, zodat "
    "effectieve hulp niet mogelijk is. Melden bij Veilig Thuis is dan de norm (meldnorm 2)."
)
_HELP = _(
    "Er is geen acute of structurele onveiligheid, de school kan effectieve hulp bieden of "
    "organiseren en de betrokkenen aanvaarden die hulp. Bied of organiseer de hulp en leg "
    "concrete afspraken vast: wie de hulp coördineert, de rollen, de verwachte (meetbare) "
    "resultaten en de termijn. Melden is op dit moment niet nodig; beantwoord vraag 5 aan het "
    "einde van de termijn en meld alsnog als de onveiligheid niet stopt of terugkeert."
)
_REPORT_AFTER_HELP = _(
    "De hulp leidt niet binnen de gewenste termijn tot de noodzakelijke resultaten voor de "
    "veiligheid en/of het welzijn van alle betrokkenen. Meld (opnieuw) bij Veilig Thuis "
    "(meldnorm 3); de ingezette hulp kan daarnaast doorgaan."
)
_HELP_SUCCEEDED = _(
    "De hulp heeft binnen de termijn de noodzakelijke resultaten opgeleverd. Sluit de hulp af "
    "met afspraken met het gezin en de samenwerkingspartners over het volgen van de "
    "(on)veiligheid in de toekomst en leg die afspraken vast. Melden is niet nodig."
)


@dataclass(frozen=True, slots=True)
class Advice:
    """The afwegingskader's advice for one set of answers (see the module docstring's table).

    ``report_required`` is Beslissing 1 and ``help_possible`` Beslissing 2; None means "not
    determined (yet)" or, for ``help_possible`` after Q1 = nee / Q2 = ja, "not taken here".
    ``explanation`` is a lazy Dutch text: render it with ``str()`` or in a template.
    """

    outcome: Outcome
    report_required: bool | None
    help_possible: bool | None
    explanation: Promise
    #: The question the advice waits for: the first open one, or 5 while help is running.
    next_question: int | None = None
    #: True when Q2 counts as ja: Q3-Q5 are then answered together with Veilig Thuis (R12).
    answered_with_veilig_thuis: bool = False
    #: Which reporting norm (domain.md §4.3) applies when a report is advised: 1, 2 or 3.
    reporting_norm: int | None = None

    @property
    def is_determined(self) -> bool:
        """Whether the answers so far lead to an advice (the outcome is not ``incomplete``)."""
        return self.outcome is not Outcome.INCOMPLETE


def _check_answer(number: int, value: object, *, doubt_allowed: bool = False) -> None:
    # `is`, not `==` or `in`: 1, 0 and 1.0 compare equal to True/False but are not answers.
    if value is None or value is True or value is False:
        return
    if isinstance(value, str) and value == TWIJFEL:
        if doubt_allowed:
            return
        raise ValueError(
            f"q{number}: {TWIJFEL!r} (doubt) is only a valid answer to question 2; "
            f"answer True, False or None (not answered yet)"
        )
    allowed = f"True, False, None (not answered yet) or {TWIJFEL!r}" if doubt_allowed else (
        "True, False or None (not answered yet)")
    raise ValueError(f"q{number} must be {allowed}, got {value!r}")


def _with_notes(main: Promise, *notes: Promise) -> Promise:
    parts = (main, *notes)
    return format_lazy(" ".join(["{}"] * len(parts)), *parts)


def advise(
    q1: Answer,
    q2: Q2Answer,
    q3: Answer = None,
    q4: Answer = None,
    q5: Answer = None,
    *,
    doubt_means_report: bool = True,
) -> Advice:
    """Apply the afwegingskader decision table to the answers given so far.

    Answers are True (ja), False (nee) or None (not answered yet); ``q2`` may also be
    ``"twijfel"``, which counts as ja when ``doubt_means_report`` (the school setting) is on and
    as nee otherwise. Raises ValueError for any other value, also for answers that are ignored.
    """
    for number, value in ((1, q1), (3, q3), (4, q4), (5, q5)):
        _check_answer(number, value)
    _check_answer(2, q2, doubt_allowed=True)
    if not isinstance(doubt_means_report, bool):
        raise ValueError(f"doubt_means_report must be True or False, got {doubt_means_report!r}")

    def incomplete(number: int, *notes: Promise) -> Advice:
        text = format_lazy(_INCOMPLETE, number=number)
        return Advice(INCOMPLETE, None, None, _with_notes(text, *notes), next_question=number)

    def decided(outcome: Outcome, report: bool, help_: bool | None, text: Promise, *notes,
                norm: int | None = None, next_question: int | None = None,
                with_vt: bool = False) -> Advice:
        return Advice(outcome, report, help_, _with_notes(text, *notes, _PROFESSIONALS_DECIDE),
                      next_question=next_question, answered_with_veilig_thuis=with_vt,
                      reporting_norm=norm)

    # Q1: is there a suspicion at all?
    if q1 is None:
        return incomplete(1)
    if q1 is False:
        return decided(NO_SUSPICION, False, None, _NO_SUSPICION)

    # Q2: acute and/or structural unsafety (doubt per the school setting) -> report, norm 1.
    if q2 is None:
        return incomplete(2)
    doubt = q2 == TWIJFEL
    if q2 is True or (doubt and doubt_means_report):
        text = _REPORT_DOUBT if doubt else _REPORT_UNSAFE
        return decided(REPORT, True, None, text, norm=1, with_vt=True)
    notes = (_DOUBT_AS_NO,) if doubt else ()

    # Q3 and Q4: can the school help effectively, and do those involved accept it? -> norm 2.
    if q3 is None:
        return incomplete(3, *notes)
    if q3 is False:
        return decided(REPORT, True, False, _REPORT_NO_HELP, *notes, norm=2)
    if q4 is None:
        return incomplete(4, *notes)
    if q4 is False:
        return decided(REPORT, True, False, _REPORT_HELP_REFUSED, *notes, norm=2)

    # Q5, at the end of the agreed period: did the help work? -> otherwise report, norm 3.
    if q5 is None:
        return decided(HELP, False, True, _HELP, *notes, next_question=5)
    if q5 is False:
        return decided(REPORT_AFTER_HELP, True, True, _REPORT_AFTER_HELP, *notes, norm=3)
    return decided(HELP_SUCCEEDED, False, True, _HELP_SUCCEEDED, *notes)
