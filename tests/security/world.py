"""One school's worth of case data plus outsiders, for the permission matrix."""

import datetime
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.utils import timezone

from cases import services as case_services
from cases.models import (Consultation, Conversation, ConversationKind, Route, SotDiscussion,
                          SotMeeting, Step, VeiligThuisAdvice, VerwijsindexRegistration)
from notifications.models import Kind, Notification
from schools.models import Membership
from schools.roles import Role
from signals.models import Signal, SignalAttachment, SignalPupil, SignalVersion
from tests.factories import (BoardFactory, PupilFactory, PupilParentFactory, SchoolClassFactory,
                             SchoolFactory, staff)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class World:
    users: dict = field(default_factory=dict)
    obj: dict = field(default_factory=dict)


def build_world() -> World:
    w = World()
    board = BoardFactory()
    school = SchoolFactory(board=board, verwijsindex_enabled=True)
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

    pupil = PupilFactory(school=school, school_class=klass)
    PupilParentFactory(pupil=pupil)
    o = w.obj
    o.update(school=school, board=board, pupil=pupil, klass=klass,
             parent=pupil.parent_links.get().parent)
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
    o["vir"] = VerwijsindexRegistration.objects.create(
        review_on=today + datetime.timedelta(days=730), **common)
    meeting = SotMeeting.objects.create(school=school, held_on=today, chair=u["directeur"],
                                        created_by=u["ib"])
    meeting.attendees.add(u["sot"], u["directeur"])
    o["meeting"] = meeting
    o["discussion"] = SotDiscussion.objects.create(meeting=meeting, **{**common,
                                                                       "step": Step.WEGEN})
    o["notification"] = Notification.objects.create(user=u["ib"], kind=Kind.NEW_SIGNAL,
                                                     url="/", school=school)
    staff_case = case_services.case_open(pupil=pupil, actor=u["bestuur"], route=Route.STAFF)
    case_services.case_grant_access(case=staff_case, user=u["bestuur"], level="contribute")
    o["staff_case"] = staff_case
    return w
