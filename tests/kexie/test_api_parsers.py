"""JSON bodies of the REST API are refused with 400, never a 500, when they carry what a form cannot."""

import pytest
from django.urls import reverse
from rest_framework.exceptions import ParseError

from kexie.api.parsers import form_data


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        b'{"refresh_token": "abc\\ud800"}',
        b"[1, 2]",
        b'"text"',
        b'{"refresh_token": NaN}',
        b"[" * 50_000,
    ],
)
def test_a_body_no_form_could_send_is_a_parse_error(client, body):
    response = client.post(reverse("members_api:token_refresh"), data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


@pytest.mark.django_db
def test_a_list_where_one_date_belongs_is_a_field_error(client, make_applicant):
    person = make_applicant()
    client.force_login(person.user)
    response = client.put(
        reverse("members_api:profile"), data={"birth_date": ["1980-01-01", "x"], "name": {"a": 1}}, content_type="application/json"
    )
    assert response.status_code == 400


def test_a_json_object_becomes_posted_form_fields():
    data = form_data({"a": 1, "b": True, "c": [1, "x"], "d": None, "e": "文字"})
    assert data.getlist("a") == ["1"] and data["b"] == "true" and data.getlist("c") == ["1", "x"]
    assert "d" not in data and data["e"] == "文字"
    with pytest.raises(ParseError):
        form_data({"a": {"nested": 1}})
    with pytest.raises(ParseError):
        form_data({"a": [[1]]})
