"""Choice labels (kexie.choices.ChoiceLabels): what Django's get_FOO_display answers, without rebuilding it."""

import pytest

from approvals.models import Application
from members.models import Membership
from orgs.models import Org


@pytest.mark.parametrize("status", list(Application.Status))
def test_every_application_status_shows_its_label(status):
    assert Application(status=status).get_status_display() == str(status.label)


def test_org_levels_and_membership_grades_show_their_labels():
    assert Org(level=Org.Level.COUNTY).get_level_display() == str(Org.Level.COUNTY.label)
    grade = Membership._meta.get_field("grade").choices[0][0]
    assert Membership(grade=grade).get_grade_display() == str(dict(Membership._meta.get_field("grade").choices)[grade])


def test_a_value_outside_the_choices_is_shown_as_it_is():
    assert Application(status="archived").get_status_display() == "archived"
