"""Every form field that ends up in a text column respects that column's length, with a clear message.

ModelForm fields map to their model's columns by themselves; plain Form fields are mapped in COLUMNS below.
A text field of a project form that is neither a ModelForm field nor in COLUMNS nor in NOT_STORED fails:
a new field must say where it is stored.
"""

import re

import pytest
from django import forms
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models

from tests.fuzz.discovery import project_form_classes

# (Form class, field) -> "app_label.Model.field" the value is stored in.
COLUMNS = {
    # A failed login is recorded by django-axes with the username typed.
    ("LoginForm", "username"): "axes.AccessAttempt.username",
    ("AdminLoginForm", "username"): "axes.AccessAttempt.username",
    ("AdminAccountForm", "username"): "members.User.username",
    ("AdminAccountForm", "full_name"): "members.User.full_name",
    ("AdminAccountForm", "mobile"): "members.User.mobile",
    ("AdminAccountForm", "email"): "members.User.email",
    ("StaffAccountForm", "username"): "members.User.username",
    ("StaffAccountForm", "full_name"): "members.User.full_name",
    ("StaffAccountForm", "mobile"): "members.User.mobile",
    ("DecisionForm", "comment"): "approvals.Application.decision_comment",
    ("DecisionForm", "override_reason"): "approvals.Application.override_reason",
    ("BatchApproveForm", "comment"): "approvals.Application.decision_comment",
    ("RecommendForm", "opinion"): "approvals.Recommendation.opinion",
    ("RegistrationForm", "mobile"): "members.User.mobile",
    ("RegistrationForm", "email"): "members.User.email",
    ("ApplicationForm", "explanation"): "approvals.Application.explanation",
    ("ResubmitForm", "explanation"): "approvals.Application.explanation",
    ("UnitMemberForm", "name"): "members.UnitMember.name",
    ("UnitMemberForm", "uscc"): "members.UnitMember.uscc",
    ("UnitMemberForm", "override_reason"): "members.UnitMember.uscc_override_reason",
    ("UnitMemberForm", "contact_name"): "members.UnitMember.contact_name",
    ("UnitMemberForm", "contact_mobile"): "members.UnitMember.contact_mobile",
    ("FeePaymentForm", "note"): "members.FeePayment.note",
    ("DuesRejectForm", "reason"): "members.DuesPayment.reject_reason",
    ("FeeInstructionsForm", "text"): "members.FeeInstructions.text",
    ("FeeRecordForm", "note"): "members.FeePayment.note",
    ("OfficerAccountForm", "username"): "members.User.username",
    ("OfficerAccountForm", "full_name"): "members.User.full_name",
    ("OfficerAccountForm", "mobile"): "members.User.mobile",
    ("OfficerAccountForm", "email"): "members.User.email",
    ("MobileChangeForm", "new_mobile"): "members.User.mobile",
    ("WebhookEndpointForm", "url"): "orgs.WebhookEndpoint.url",
    ("WebhookEndpointForm", "description"): "orgs.WebhookEndpoint.description",
    ("TransferForm", "comment"): "orgs.AuditEvent.comment",
    ("StatusForm", "comment"): "orgs.AuditEvent.comment",
    ("ClaimForm", "name"): "members.Person.name",
    ("ClaimForm", "mobile"): "members.Person.mobile",
    ("ClaimForm", "email"): "members.Person.email",
    ("ClaimForm", "employer"): "members.Person.employer",
}
# Text fields whose value is never stored as typed, with why.
NOT_STORED = {
    "password": "hashed",
    "password1": "hashed",
    "password2": "confirmation only",
    "password_confirm": "confirmation only",
    "new_password1": "hashed",
    "new_password2": "confirmation only",
    "old_password": "checked, never stored",
    "id_number": "stored encrypted, blind-indexed and masked (18 characters) after validation",
    "q": "search text",
    "code": "a one-time code, compared with its stored digest",
    "token": "a one-time code of the authenticator app or a recovery code, compared, never stored",
    "account": "the mobile number or email address an account is looked up by",
    "actor": "a filter of the audit console (a username searched for)",
    "object_id": "a filter of the audit console (an object's id searched for)",
}
# A value that is `length` characters long and otherwise as plausible as the field allows.
_EMAIL_TAIL = "@example.com"


def _long_value(field: forms.Field, length: int) -> str:
    if isinstance(field, forms.EmailField):
        return "a" * (length - len(_EMAIL_TAIL)) + _EMAIL_TAIL
    return "测" * length


def _fields(form_class) -> dict:
    """The declared fields, as an unbound instance has them where the form can be made without arguments
    (some adjust fields in __init__)."""
    fields = dict(form_class.base_fields)
    try:
        fields.update(form_class().fields)
    except TypeError:
        pass
    return fields


def _text_fields():
    for class_name, form_class in sorted(project_form_classes().items()):
        model = getattr(getattr(form_class, "_meta", None), "model", None)
        for name, field in _fields(form_class).items():
            if isinstance(field, forms.CharField):
                yield class_name, form_class, model, name, field


def _column(class_name, model, name) -> models.Field | None:
    target = COLUMNS.get((class_name, name))
    if target:
        app_model, field_name = target.rsplit(".", 1)
        return apps.get_model(app_model)._meta.get_field(field_name)
    if model is not None:
        try:
            return model._meta.get_field(name)
        except Exception:  # noqa: BLE001 - a declared field with no column of that name
            return None
    return None


CASES = [c for c in _text_fields() if c[3] not in NOT_STORED]
PARAMS = [pytest.param(*c, id=f"{c[0]}.{c[3]}") for c in CASES]


def test_every_stored_text_field_says_where_it_is_stored():
    unmapped = sorted(f"{c}.{n}" for c, _, model, n, _ in CASES if _column(c, model, n) is None)
    assert not unmapped, f"add these form fields to COLUMNS (or NOT_STORED) in {__file__}: {unmapped}"
    stale = sorted(f"{c}.{n}" for c, n in COLUMNS if not any(c == k and n == m for k, _, _, m, _ in CASES))
    assert not stale, f"COLUMNS names form fields that no longer exist: {stale}"


@pytest.mark.parametrize("class_name,form_class,model,name,field", PARAMS)
def test_a_value_longer_than_the_column_is_refused_with_a_clear_message(class_name, form_class, model, name, field):
    """The form field (and the form's clean_<field>, which may normalise) never passes on more characters than
    the column holds; what it refuses it explains in Chinese."""
    column = _column(class_name, model, name)
    limit = getattr(column, "max_length", None)
    # A column without a limit (TextField) still gets a bounded field: nobody types 100,000 characters.
    assert field.max_length is not None, f"{class_name}.{name} has no max_length (column holds {limit or 'any length'})"
    if limit is None:
        return
    value = _long_value(field, limit + 1)
    try:
        cleaned = field.clean(value)
        custom = getattr(form_class, f"clean_{name}", None)
        if custom is not None:
            form = form_class.__new__(form_class)
            form.cleaned_data = {name: cleaned}
            cleaned = custom(form)
    except ValidationError as exc:
        text = " ".join(exc.messages)
        assert re.search(r"[\u4e00-\u9fff]", text), f"{class_name}.{name}: the message is not Chinese: {text}"
        return
    assert len(cleaned or "") <= limit, f"{class_name}.{name} accepts {len(cleaned)} characters; the column holds {limit}"
