"""Ids from request data are parsed and bounded before they reach a query."""

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.utils.datastructures import MultiValueDict

from kexie.forms import (
    MAX_ID,
    MAX_IDS,
    RESELECT_FILE,
    RETYPE_ID_NUMBER,
    RETYPE_PASSWORD,
    IdField,
    IdListField,
    RefusedInputNotices,
    WriteOnlyTextInput,
    parse_id,
)


@pytest.mark.parametrize("value,expected", [("1", 1), ("0042", 42), (str(MAX_ID), MAX_ID), (7, 7)])
def test_a_positive_id_in_range_is_parsed(value, expected):
    assert parse_id(value) == expected


@pytest.mark.parametrize(
    "value",
    ["", "0", "-1", "+1", " 1", "1.0", "1e3", "0x10", "１２", "٣", str(MAX_ID + 1), "9" * 40, None, [], 0, -5, True, 2**64],
)
def test_anything_else_is_no_id(value):
    assert parse_id(value) is None


class _Form(forms.Form):
    org = IdField(required=False)
    ids = IdListField()


def _form(**data):
    return _Form(MultiValueDict({k: v if isinstance(v, list) else [v] for k, v in data.items()}))


def test_the_list_field_takes_every_repeated_value_once_sorted():
    form = _form(ids=["3", "1", "3"], org="5")
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"org": 5, "ids": [1, 3]}


@pytest.mark.parametrize("ids", [["1", str(2**63)], ["1", "x"], ["-1"], ["9" * 30]])
def test_one_bad_id_refuses_the_list_with_a_chinese_message(ids):
    form = _form(ids=ids)
    assert not form.is_valid()
    assert "所选对象无效" in form.errors["ids"][0]


def test_too_many_ids_are_refused():
    form = _form(ids=[str(i) for i in range(1, MAX_IDS + 2)])
    assert not form.is_valid()
    assert "最多" in form.errors["ids"][0]


def test_an_empty_required_list_asks_for_a_selection():
    form = _form()
    assert not form.is_valid() and "请至少选择一项" in form.errors["ids"][0]


def test_a_bad_single_id_is_a_form_error():
    field = IdField()
    with pytest.raises(ValidationError):
        field.clean(str(2**63))
    assert field.clean(" 12 ") == 12


class _Refusable(RefusedInputNotices, forms.Form):
    name = forms.CharField(max_length=5)
    id_number = forms.CharField(widget=WriteOnlyTextInput, help_text="18 位")
    password = forms.CharField(widget=forms.PasswordInput)
    file = forms.FileField(required=False)


def test_a_refused_form_says_what_must_be_typed_or_chosen_again():
    form = _Refusable({"name": "too long", "id_number": "130102198001010045", "password": "Secret-2026"})
    assert not form.is_valid()
    html = form.as_div()
    assert str(RETYPE_ID_NUMBER) in html and "18 位" in html
    assert str(RETYPE_PASSWORD) in html and str(RESELECT_FILE) in html
    assert "130102198001010045" not in html and "Secret-2026" not in html


def test_an_error_added_after_validation_brings_the_notices_too():
    form = _Refusable({"name": "ok", "id_number": "x", "password": "y"})
    assert form.is_valid()
    assert str(RETYPE_PASSWORD) not in form.as_div()
    form.add_error(None, "服务拒绝")
    assert str(RETYPE_PASSWORD) in form.as_div()
