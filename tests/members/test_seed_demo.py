"""The demo applicant is ready to apply straight away."""

import pytest
from django.core.management import call_command

from members.models import Person
from members.services.consent import consent_live
from members.services.people import profile_missing_fields


@pytest.mark.django_db
def test_seed_demo_gives_the_demo_applicant_consent_a_complete_profile_and_an_award_but_no_application(hebei):
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # idempotent
    person = Person.objects.get(user__username="13800138000")
    assert consent_live(person.user) is not None
    assert profile_missing_fields(person) == []
    assert person.id_number_masked.startswith("130121") and "*" in person.id_number_masked
    assert person.awards.count() == 1
    assert not person.applications.exists()
