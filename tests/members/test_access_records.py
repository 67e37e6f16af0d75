"""Access records (PIPL): every administrator view of a person's data is recorded, and the person sees who."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from approvals import services as approvals
from members.models import PersonAccess

pytestmark = pytest.mark.django_db


@pytest.fixture
def application(make_applicant, county_a):
    return approvals.application_submit(person=make_applicant("被查看人"), org=county_a, declaration_accepted=True)


def test_the_review_page_records_who_saw_the_profile(client, admin_a, application, county_a):
    client.force_login(admin_a)
    assert client.get(reverse("approvals:detail", args=[application.pk])).status_code == 200
    access = PersonAccess.objects.get(person=application.person)
    assert (access.viewer, access.org, access.what) == (admin_a, county_a, PersonAccess.What.PROFILE)


def test_an_export_records_every_person_in_it_once(client, admin_a, make_applicant, county_a, application):
    other = approvals.application_submit(person=make_applicant("另一人"), org=county_a, declaration_accepted=True)
    client.force_login(admin_a)
    assert client.get(reverse("approvals:queue_export")).status_code == 200
    exported = PersonAccess.objects.filter(what=PersonAccess.What.EXPORT, viewer=admin_a)
    assert sorted(exported.values_list("person_id", flat=True)) == sorted([application.person_id, other.person_id])


def test_the_member_page_and_the_member_export_are_recorded(client, city_admin, application):
    membership = approvals.application_approve(application=application, reviewer=city_admin)
    client.force_login(city_admin)
    client.get(reverse("console_members:member_detail", args=[membership.pk]))
    client.get(reverse("console_members:member_export"), {"org": membership.org_id})
    whats = set(PersonAccess.objects.filter(person=application.person).values_list("what", flat=True))
    assert whats == {PersonAccess.What.PROFILE, PersonAccess.What.EXPORT}


def test_an_evidence_download_is_recorded(client, admin_a, application):
    from members.services.awards import award_save

    award = application.person.awards.first()
    award_save(person=application.person, award=award, name=award.name, level=award.level, year=award.year,
               issuer=award.issuer, evidence=SimpleUploadedFile("proof.pdf", b"%PDF-1.4 test", "application/pdf"))
    client.force_login(admin_a)
    response = client.get(reverse("approvals:evidence_download", args=[application.pk, award.pk]))
    assert response.status_code == 200
    assert PersonAccess.objects.filter(person=application.person, what=PersonAccess.What.EVIDENCE).exists()


def test_the_person_sees_who_viewed_them_on_my_data(client, admin_a, application, county_a):
    client.force_login(admin_a)
    client.get(reverse("approvals:detail", args=[application.pk]))
    client.force_login(application.person.user)
    body = client.get(reverse("members:data")).content.decode()
    section = body.split('id="accesses"')[1]
    assert "谁查看了我的信息" in section and county_a.name in section and "查看个人资料" in section
    assert str(admin_a) in section


def test_the_person_viewing_themselves_is_not_recorded(client, application):
    client.force_login(application.person.user)
    client.get(reverse("members:profile"))
    client.get(reverse("members:data"))
    assert not PersonAccess.objects.exists()
