"""One school's worth of case data plus outsiders, for the permission matrix.

``build_world()`` makes the people of the matrix's columns (``World.users``) and one object
of the own school for every URL that takes an id (``World.obj``). Everything is written
straight with the ORM or through the cheapest service that keeps the rows consistent; nothing
renders a PDF. Files (the signal attachment, the finished export) go to the default storage,
so call it with ``MEDIA_ROOT`` pointing at a directory that outlives the tests using it.
"""

import datetime
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from afwegingskader.models import (AftercareNote, Assessment, BottleneckNote, Decision,
                                   DecisionChoice, Evaluation, FollowUpAction, HelpPlan,
                                   InformationRequest, MonitoringAgreement, SchoolRoleAgreement,
                                   VeiligThuisFeedback, VeiligThuisReport,
                                   VeiligThuisReportSignal)
from cases import services as case_services
from cases.models import (CaseNote, Consultation, Conversation, ConversationKind, ParentStatement,
                          SotDiscussion, SotMeeting, Step, VeiligThuisAdvice, VerwijsindexMatch,
                          VerwijsindexRegistration)
from exports.models import AccessRequest, ExportJob, JobKind, JobStatus, Redaction, RequesterKind
from notifications.models import Kind, Notification
from schools.models import ContactKind, Membership, SchoolContact
from schools.roles import Role
from signals.models import Signal, SignalAttachment, SignalPupil, SignalVersion
from specialroutes import services as route_services
from tests.factories import (BoardFactory, PupilFactory, PupilParentFactory, SchoolClassFactory,
                             SchoolFactory, staff)
from worknotes.models import WorkNote

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class World:
    users: dict = field(default_factory=dict)
    obj: dict = field(default_factory=dict)
    media_root: object = None
    sessions: dict = field(default_factory=dict)  # role -> session key (filled by the matrix's fixture)


def build_world() -> World:
    w = World()
    board = BoardFactory()
    school = SchoolFactory(board=board, verwijsindex_enabled=True, work_notes_enabled=True)
    same_board_school = SchoolFactory(board=board)
    other_board_school = SchoolFactory()
    klass = SchoolClassFactory(school=school)
    u = w.users
    u["recorder"] = staff(Role.LEERKRACHT, school, username="m_recorder")
    Membership.objects.get(user=u["recorder"]).classes.add(klass)
    u["teacher"] = staff(Role.LEERKRACHT, school, username="m_teacher")
    u["invited"] = staff(Role.LEERKRACHT, school, username="m_invited")
    u["ib"] = staff(Role.IB, school, username="m_ib")
    u["vc"] = staff(Role.VC, school, username="m_vc")
    u["directeur"] = staff(Role.DIRECTEUR, school, username="m_directeur")
    u["sot"] = staff(Role.SOT, school, username="m_sot")
    u["sot_absent"] = staff(Role.SOT, school, username="m_sot_absent")
    u["beheerder"] = staff(Role.BEHEERDER, board=board, username="m_beheerder")
    u["bestuur"] = staff(Role.BESTUUR, board=board, username="m_bestuur")
    u["ib_same_board"] = staff(Role.IB, same_board_school, username="m_ib_same_board")
    u["ib_other_board"] = staff(Role.IB, other_board_school, username="m_ib_other_board")
    # Outsiders who manage something elsewhere: their own school, their own board.
    u["directeur_same_board"] = staff(Role.DIRECTEUR, same_board_school,
                                      username="m_directeur_same_board")
    u["beheerder_other_board"] = staff(Role.BEHEERDER, board=other_board_school.board,
                                       username="m_beheerder_other_board")
    u["bestuur_other_board"] = staff(Role.BESTUUR, board=other_board_school.board,
                                     username="m_bestuur_other_board")

    pupil = PupilFactory(school=school, school_class=klass)
    PupilParentFactory(pupil=pupil)
    o = w.obj
    o.update(school=school, board=board, pupil=pupil, klass=klass,
             parent_link=pupil.parent_links.get(), parent=pupil.parent_links.get().parent,
             teacher_membership=Membership.objects.get(user=u["teacher"]))
    # A local contact of the school (R47).
    o["contact"] = SchoolContact.objects.create(
        school=school, kind=ContactKind.WIJKTEAM, organisation="Wijkteam", phone="030 1234567")
    # A second parent, referenced by nothing: unlinking o["parent_link"] is refused while the
    # access request below points at it.
    o["spare_parent_link"] = PupilParentFactory(pupil=pupil, relationship="vader")
    signal = Signal.objects.create(school=school, recorded_by=u["recorder"],
                                   observed_on=datetime.date(2026, 11, 2), category="emotioneel")
    SignalPupil.objects.create(signal=signal, pupil=pupil)
    SignalVersion.objects.create(signal=signal, number=1, facts="Feiten", author=u["recorder"])
    attachment = SignalAttachment(signal=signal, original_name="foto.pdf",
                                  content_type="application/pdf", size=len(PDF),
                                  uploaded_by=u["recorder"])
    attachment.file.save("x", ContentFile(PDF), save=False)
    attachment.save()
    o.update(signal=signal, attachment=attachment)

    case = case_services.case_open(pupil=pupil, actor=u["ib"], signals=[signal])
    case.step = Step.WEGEN
    case.save()
    case_services.case_grant_access(case=case, user=u["invited"], level="read")
    o["case"] = case
    today = timezone.localdate()
    common = {"case": case, "step": Step.CONSULTATIE, "occurred_on": today, "author": u["ib"]}
    o["consultation"] = Consultation.objects.create(consulted="collega", advice="advies", **common)
    o["vt_advice"] = VeiligThuisAdvice.objects.create(question="vraag", advice="advies", **common)
    o["conversation"] = Conversation.objects.create(discussed="besproken", **common)
    o["parent_contact"] = Conversation.objects.create(
        kind=ConversationKind.PARENT_CONTACT, discussed="besproken", **common)
    statement = ParentStatement(given_by_name="ouder", relation="moeder", received_via="brief",
                                statement="verklaring", file_name="brief.pdf",
                                file_type="application/pdf", **common)
    statement.file.save("x", ContentFile(PDF), save=False)
    statement.save()
    o["parent_statement"] = statement
    o["vir"] = VerwijsindexRegistration.objects.create(
        review_on=today + datetime.timedelta(days=730), **common)
    o["vir_match"] = VerwijsindexMatch.objects.create(
        registration=o["vir"], case=case, step=Step.CONSULTATIE, notified_on=today,
        organisations=[{"organisation": "Wijkteam", "contact": ""}], author=u["ib"])
    # R32: a shared working note (a record in the file), and a private one of the IB'er.
    o["note"] = CaseNote.objects.create(text="aantekening", **common)
    o["work_note"] = WorkNote.objects.create(case=case, owner=u["ib"], text="privé")
    meeting = SotMeeting.objects.create(school=school, held_on=today, chair=u["directeur"],
                                        created_by=u["ib"])
    meeting.attendees.add(u["sot"], u["directeur"])
    o["meeting"] = meeting
    o["discussion"] = SotDiscussion.objects.create(meeting=meeting, **{**common,
                                                                       "step": Step.WEGEN})
    o["notification"] = Notification.objects.create(user=u["ib"], kind=Kind.NEW_SIGNAL,
                                                     url="/", school=school)
    _afwegingskader(w, case, today)
    _special_routes(w, today)
    _exports(w, case, today)
    _retention(w, case, today)
    for user in u.values():  # the second factor the matrix's sessions count as passed
        TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    return w


def _save(obj, actor):
    obj._history_user = actor
    obj.save()
    return obj


def _afwegingskader(w: World, case, today) -> None:
    """One of every step-5 record, written by the IB'er (the case is at step 4: the pages
    show a step problem but still check access first)."""
    u, o = w.users, w.obj
    ib = u["ib"]
    cycle = {"case": case, "cycle": case.cycle, "author": ib}
    assessment = _save(Assessment(
        **cycle, updated_by=ib, q1=True, q1_justification="onderbouwing", q2="ja",
        q2_justification="onderbouwing", meldcode_version="2025"), ib)
    decision = _save(Decision(
        **cycle, assessment=assessment, choice=DecisionChoice.MELDEN, decided_on=today,
        motivation="toelichting", advice_outcome="report", advice_report_required=True,
        answers_snapshot=assessment.answers(), reporter=ib, meldcode_version="2025"), ib)
    report = _save(VeiligThuisReport(
        **cycle, decision=decision, reported_at=timezone.now(), channel="telefoon",
        reporter=ib, steps_taken="stappen", parents_informed=True,
        parents_informed_how="telefonisch", safety_feedback_due=today), ib)
    _save(VeiligThuisReportSignal(report=report, signal=o["signal"]), ib)
    _save(VeiligThuisFeedback(report=report, kind="veiligheidsbeoordeling", received_on=today,
                              content="terugkoppeling", author=ib), ib)
    agreement = _save(SchoolRoleAgreement(report=report, agreed_on=today, school_role="rol",
                                          author=ib), ib)
    _save(InformationRequest(**cycle, report=report, requested_on=today, requested_by="VT",
                             given_on=today, information_given="informatie"), ib)
    _save(HelpPlan(**cycle, decision=decision, help_description="hulp", coordinator=ib,
                   expected_results="resultaten", period_start=today, period_end=today,
                   evaluation_on=today), ib)
    action = _save(FollowUpAction(**cycle, description="actie", owner=ib, due_on=today), ib)
    _save(Evaluation(**cycle, evaluated_on=today, outcome="deels", note="evaluatie"), ib)
    _save(AftercareNote(**cycle, occurred_on=today, note="nazorg"), ib)
    _save(MonitoringAgreement(**cycle, agreed_on=today, parties="gezin", agreement="afspraak"),
          ib)
    _save(BottleneckNote(**cycle, school=case.school, theme="wachttijd", note="knelpunt"), ib)
    o.update(assessment=assessment, decision=decision, report=report, agreement=agreement,
             followup_action=action)


def _special_routes(w: World, today) -> None:
    """An acute call by the recorder on the open case (it stays the same case: the call
    widens nobody's access), a board route reported by "teacher" (the service assigns every
    bestuurder of the board, so "bestuur"), and a staff-suspect signal still waiting for the
    board to start the route."""
    u, o = w.users, w.obj
    o["acute_call"] = route_services.acute_call_record(
        actor=u["recorder"], pupil=o["pupil"], called_party="veilig_thuis",
        called_at=timezone.now() - datetime.timedelta(hours=1))
    concern = route_services.staff_concern_report(
        actor=u["teacher"], pupil=o["pupil"], observed_on=today, category="emotioneel",
        source="eigen_waarneming", facts="Feiten", accused_description="Meester, leerkracht")
    o["staff_concern"] = concern
    o["staff_case"] = concern.case
    pending = _save(Signal(school=o["school"], recorded_by=u["teacher"], observed_on=today,
                           category="emotioneel", staff_suspect=True), u["teacher"])
    SignalPupil.objects.create(signal=pending, pupil=o["pupil"])
    SignalVersion.objects.create(signal=pending, number=1, facts="Feiten", author=u["teacher"])
    o["staff_signal"] = pending


def _exports(w: World, case, today) -> None:
    """A finished dossier export of the directeur with a tiny file, and an open access
    request (recorded by the directeur) with one redaction."""
    u, o = w.users, w.obj
    name = default_storage.save("exports/matrix.pdf", ContentFile(PDF))
    o["export_job"] = ExportJob.objects.create(
        kind=JobKind.DOSSIER, requester=u["directeur"], school=o["school"], case=case,
        status=JobStatus.DONE, progress=100, file_name=name, page_count=1,
        started_at=timezone.now(), finished_at=timezone.now(),
        expires_at=timezone.now() + datetime.timedelta(days=1))
    link = o["parent_link"]
    request = _save(AccessRequest(
        school=o["school"], pupil=o["pupil"], requester_kind=RequesterKind.PARENT,
        parent_link=link, requester_name=link.parent.name, received_on=today,
        due_on=today + datetime.timedelta(days=30), identity_verified=True,
        recorded_by=u["directeur"]), u["directeur"])
    o["access_request"] = request
    o["redaction"] = _save(Redaction(
        access_request=request, object_type="cases.consultation",
        object_id=o["consultation"].pk, field="advice", reason="derde",
        created_by=u["directeur"]), u["directeur"])


def _retention(w: World, case, today) -> None:
    """An active legal hold on the case, an undecided request of the pupil to destroy
    their file (written straight: the pupil of the world is younger than 16), and a loose
    signal (never in a case) about another pupil of the school."""
    from retention.models import DestructionRequest, LegalHold

    u, o = w.users, w.obj
    loose = Signal.objects.create(school=o["school"], recorded_by=u["recorder"],
                                  observed_on=datetime.date(2026, 11, 3), category="anders")
    SignalPupil.objects.create(signal=loose, pupil=PupilFactory(school=o["school"]))
    SignalVersion.objects.create(signal=loose, number=1, facts="los", author=u["recorder"])
    o["loose_signal"] = loose
    o["legal_hold"] = LegalHold.objects.create(case=case, reason="klacht", placed_by=u["vc"])
    o["destruction_request"] = DestructionRequest.objects.create(
        school=o["school"], pupil=o["pupil"], received_on=today, channel="mondeling",
        request_text="alles", due_on=today + datetime.timedelta(days=30),
        recorded_by=u["vc"])
