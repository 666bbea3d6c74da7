"""The afwegingskader decision table (domain.md §4.2) as implemented by ``decision.advise``.

No database: ``advise`` is a pure function. The exhaustive test checks every combination of
answers against an oracle written independently from the implementation, straight from the
table rows, plus the invariants of §4.2.
"""

import dataclasses
import itertools

import pytest

from afwegingskader import decision
from afwegingskader.decision import (
    HELP,
    HELP_SUCCEEDED,
    INCOMPLETE,
    NO_SUSPICION,
    QUESTIONS,
    REPORT,
    REPORT_AFTER_HELP,
    TWIJFEL,
    Advice,
    Outcome,
    advise,
    question_texts,
)

J, N, O = True, False, None  # ja, nee, open (not answered yet)


# --- the rows of the decision table -----------------------------------------------------------

# (answers, doubt_means_report) -> (outcome, report_required, help_possible, next_question,
#                                   answered_with_veilig_thuis, reporting_norm)
TABLE_ROWS = [
    pytest.param((O, O, O, O, O), True, (INCOMPLETE, None, None, 1, False, None), id="q1-open"),
    pytest.param((N, O, O, O, O), True, (NO_SUSPICION, False, None, None, False, None),
                 id="q1-nee"),
    pytest.param((J, O, O, O, O), True, (INCOMPLETE, None, None, 2, False, None), id="q2-open"),
    pytest.param((J, J, O, O, O), True, (REPORT, True, None, None, True, 1), id="q2-ja"),
    pytest.param((J, TWIJFEL, O, O, O), True, (REPORT, True, None, None, True, 1),
                 id="q2-twijfel-counts-as-ja"),
    pytest.param((J, TWIJFEL, O, O, O), False, (INCOMPLETE, None, None, 3, False, None),
                 id="q2-twijfel-counts-as-nee"),
    pytest.param((J, N, O, O, O), True, (INCOMPLETE, None, None, 3, False, None), id="q3-open"),
    pytest.param((J, N, N, O, O), True, (REPORT, True, False, None, False, 2), id="q3-nee"),
    pytest.param((J, N, J, O, O), True, (INCOMPLETE, None, None, 4, False, None), id="q4-open"),
    pytest.param((J, N, J, N, O), True, (REPORT, True, False, None, False, 2), id="q4-nee"),
    pytest.param((J, N, J, J, O), True, (HELP, False, True, 5, False, None), id="q5-pending"),
    pytest.param((J, N, J, J, N), True, (REPORT_AFTER_HELP, True, True, None, False, 3),
                 id="q5-nee"),
    pytest.param((J, N, J, J, J), True, (HELP_SUCCEEDED, False, True, None, False, None),
                 id="q5-ja"),
    pytest.param((J, TWIJFEL, J, J, J), False, (HELP_SUCCEEDED, False, True, None, False, None),
                 id="q2-twijfel-as-nee-help-succeeded"),
]


@pytest.mark.parametrize(("answers", "doubt_means_report", "expected"), TABLE_ROWS)
def test_decision_table_row(answers, doubt_means_report, expected):
    advice = advise(*answers, doubt_means_report=doubt_means_report)

    assert (advice.outcome, advice.report_required, advice.help_possible, advice.next_question,
            advice.answered_with_veilig_thuis, advice.reporting_norm) == expected


def test_later_answers_after_q1_nee_are_ignored():
    assert advise(N, J, N, N, N).outcome == NO_SUSPICION
    assert advise(N, J, N, N, N) == advise(N, None)


def test_q3_to_q5_after_q2_ja_are_answered_with_veilig_thuis_and_do_not_change_the_advice():
    advice = advise(J, J, N, N, N)

    assert advice.outcome == REPORT
    assert advice.answered_with_veilig_thuis is True
    assert advice.help_possible is None  # decided with Veilig Thuis
    assert advice == advise(J, J)


def test_an_open_question_stops_the_evaluation():
    advice = advise(J, N, None, J, J)

    assert advice.outcome == INCOMPLETE
    assert advice.next_question == 3


def test_report_after_help_keeps_help_possible_true():
    """Help was possible (Q3 and Q4 ja) and given; it failed, so a report follows (norm 3)."""
    advice = advise(J, N, J, J, N)

    assert (advice.report_required, advice.help_possible) == (True, True)


def test_q3_to_q5_default_to_not_answered():
    assert advise(J, N) == advise(J, N, None, None, None)
    assert advise(J, N).next_question == 3


# --- exhaustive check against an independent oracle -------------------------------------------

def oracle_outcome(q1, q2, q3, q4, q5, doubt_means_report):
    """The table of domain.md §4.2, row by row."""
    if q2 == TWIJFEL:
        q2 = doubt_means_report
    match (q1, q2, q3, q4, q5):
        case (None, _, _, _, _):
            return INCOMPLETE
        case (False, _, _, _, _):
            return NO_SUSPICION
        case (True, None, _, _, _):
            return INCOMPLETE
        case (True, True, _, _, _):
            return REPORT
        case (True, False, None, _, _):
            return INCOMPLETE
        case (True, False, False, _, _):
            return REPORT
        case (True, False, True, None, _):
            return INCOMPLETE
        case (True, False, True, False, _):
            return REPORT
        case (True, False, True, True, None):
            return HELP
        case (True, False, True, True, False):
            return REPORT_AFTER_HELP
        case (True, False, True, True, True):
            return HELP_SUCCEEDED
    raise AssertionError("the oracle missed a combination")


def relevant_count(answers, doubt_means_report):
    """How many leading answers the outcome depends on; later ones are ignored."""
    q1, q2, q3, q4, q5 = answers
    q2_counts_as_ja = q2 is True or (q2 == TWIJFEL and doubt_means_report)
    if q1 is not True:
        return 1
    if q2 is None or q2_counts_as_ja:
        return 2
    if q3 is not True:
        return 3
    if q4 is not True:
        return 4
    return 5


ALL_ANSWERS = list(itertools.product(
    [None, True, False],
    [None, True, False, TWIJFEL],
    [None, True, False],
    [None, True, False],
    [None, True, False],
))
ALL_COMBINATIONS = [
    pytest.param(answers, doubt, id=f"{'-'.join(map(str, answers))}-doubt_means_report={doubt}")
    for answers in ALL_ANSWERS
    for doubt in (True, False)
]


def test_the_exhaustive_test_covers_every_combination():
    assert len(ALL_COMBINATIONS) == 3 * 4 * 3 * 3 * 3 * 2 == 648


@pytest.mark.parametrize(("answers", "doubt_means_report"), ALL_COMBINATIONS)
def test_every_combination(answers, doubt_means_report):
    q1, q2, q3, q4, q5 = answers
    advice = advise(*answers, doubt_means_report=doubt_means_report)
    expected = oracle_outcome(*answers, doubt_means_report)
    q2_ja = True if q2 == TWIJFEL and doubt_means_report else (False if q2 == TWIJFEL else q2)

    assert isinstance(advice, Advice)
    assert advice.outcome == expected
    assert isinstance(advice.outcome, Outcome)

    # "incomplete" iff Beslissing 1 is undetermined; then Beslissing 2 is too.
    assert (advice.outcome == INCOMPLETE) is (advice.report_required is None)
    assert advice.is_determined is (advice.outcome != INCOMPLETE)
    if advice.outcome == INCOMPLETE:
        assert advice.help_possible is None
        assert advice.next_question == relevant_count(answers, doubt_means_report)
        assert answers[advice.next_question - 1] is None

    # §4.2: report_required = Q2 or not Q3 or not Q4 or (Q5 is False); help_possible = Q3 and Q4.
    if advice.outcome == NO_SUSPICION:
        assert (advice.report_required, advice.help_possible) == (False, None)
    elif advice.outcome != INCOMPLETE:
        assert advice.report_required is bool(q2_ja or not q3 or not q4 or (q5 is False))
        if q2_ja:
            assert advice.help_possible is None  # decided together with Veilig Thuis
        else:
            assert advice.help_possible is bool(q3 and q4)

    # Q3-Q5 go together with Veilig Thuis exactly when Q2 counts as ja after a suspicion.
    assert advice.answered_with_veilig_thuis is (q1 is True and q2_ja is True)
    assert advice.next_question == (
        5 if advice.outcome == HELP
        else relevant_count(answers, doubt_means_report) if advice.outcome == INCOMPLETE
        else None
    )
    assert (advice.reporting_norm is not None) is bool(advice.report_required)

    explanation = str(advice.explanation)
    assert explanation.strip()
    if advice.is_determined:
        assert "beslissing ligt bij de professionals" in explanation
    else:
        assert f"vraag {advice.next_question}" in explanation
    if q1 is True and q2 == TWIJFEL:
        assert "twijfel" in explanation.lower()

    # Answers after the deciding (or first open) one do not matter at all.
    k = relevant_count(answers, doubt_means_report)
    prefix_only = answers[:k] + (None,) * (5 - k)
    assert advise(*prefix_only, doubt_means_report=doubt_means_report) == advice


# --- explanations and texts -------------------------------------------------------------------

def test_doubt_counted_as_nee_asks_to_consult_veilig_thuis():
    explanation = str(advise(J, TWIJFEL, N, doubt_means_report=False).explanation)

    assert "als 'nee' meegeteld" in explanation
    assert "Overleg bij twijfel altijd met Veilig Thuis" in explanation


def test_doubt_counted_as_ja_means_report_immediately():
    explanation = str(advise(J, TWIJFEL).explanation)

    assert "direct (telefonisch) melden bij Veilig Thuis" in explanation
    assert "samen met Veilig Thuis" in explanation


def test_each_determined_outcome_has_its_own_explanation():
    cases = [(N, O), (J, J), (J, N, N), (J, N, J, N), (J, N, J, J), (J, N, J, J, N),
             (J, N, J, J, J)]

    texts = {str(advise(*answers).explanation) for answers in cases}

    assert len(texts) == len(cases)


def test_questions_are_the_five_dutch_questions():
    texts = question_texts()

    assert list(texts) == [1, 2, 3, 4, 5]
    assert texts[1] == ("Heb ik op basis van de stappen 1 tot en met 4 van de meldcode een "
                        "vermoeden van (dreiging van) huiselijk geweld en/of kindermishandeling?")
    assert texts[2] == ("Schat ik in dat er sprake is van acute onveiligheid en/of structurele "
                        "onveiligheid?")
    assert texts[3].startswith("Ben ik in staat om effectieve hulp te bieden of te organiseren")
    assert texts[4].startswith("Aanvaarden de betrokkenen de hulp")
    assert texts[5].startswith("Leidt de hulp binnen de gewenste termijn")
    assert all(isinstance(text, str) and text.endswith("?") for text in texts.values())
    assert set(QUESTIONS) == set(texts)


def test_outcomes_are_stable_strings():
    assert [o.value for o in Outcome] == [
        "incomplete", "no_suspicion", "report", "help", "report_after_help", "help_succeeded"]
    assert decision.REPORT == "report"
    assert decision.REPORT_AFTER_HELP is Outcome.REPORT_AFTER_HELP


def test_advice_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        advise(J, J).outcome = HELP


# --- invalid input ----------------------------------------------------------------------------

@pytest.mark.parametrize(("kwargs", "message"), [
    pytest.param({"q1": TWIJFEL, "q2": None}, "only a valid answer to question 2", id="q1-twijfel"),
    pytest.param({"q1": True, "q2": True, "q3": "ja"}, "q3 must be", id="q3-string"),
    pytest.param({"q1": 1, "q2": None}, "q1 must be", id="q1-int-1"),
    pytest.param({"q1": 0, "q2": None}, "q1 must be", id="q1-int-0"),
    pytest.param({"q1": True, "q2": 1.0}, "q2 must be", id="q2-float"),
    pytest.param({"q1": True, "q2": "Twijfel"}, "q2 must be", id="q2-wrong-case"),
    pytest.param({"q1": True, "q2": "ja"}, "q2 must be", id="q2-ja-string"),
    pytest.param({"q1": True, "q2": False, "q3": True, "q4": "nee"}, "q4 must be", id="q4"),
    pytest.param({"q1": True, "q2": False, "q3": True, "q4": True, "q5": []}, "q5 must be",
                 id="q5-list"),
    pytest.param({"q1": True, "q2": False, "q5": TWIJFEL}, "only a valid answer to question 2",
                 id="q5-twijfel"),
    # Ignored answers are validated too: a typo must not hide behind a deciding answer.
    pytest.param({"q1": False, "q2": True, "q3": "ja"}, "q3 must be", id="ignored-but-invalid"),
    pytest.param({"q1": True, "q2": True, "doubt_means_report": "ja"},
                 "doubt_means_report must be", id="doubt-setting-string"),
    pytest.param({"q1": True, "q2": True, "doubt_means_report": None},
                 "doubt_means_report must be", id="doubt-setting-none"),
])
def test_invalid_answers_raise_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        advise(**kwargs)
