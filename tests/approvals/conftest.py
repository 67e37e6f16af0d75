"""Applications in review built through the real services."""

import pytest

from approvals import services


@pytest.fixture
def submit(make_applicant):
    """submit(org, name=..., **profile) → a submitted Application of a fresh applicant."""

    def make(org, name: str = "张三", *, explanation: str = "", **profile):
        person = make_applicant(name, **profile)
        return services.application_submit(
            person=person, org=org, explanation=explanation, declaration_accepted=True
        )

    return make
