"""The error summary at the top of a page whose form came back with errors.

`{% error_summary %}` in base.html finds every bound form with errors in the page's context, so a view needs
no extra code: each error is listed with the field's label and links to the field (static/js/form-errors.js
then moves the focus to the first field in error). A page whose errors are not a form's passes them
explicitly: `{% error_summary message=error field="id_password" %}`.
"""

from django import template
from django.forms import BaseForm
from django.template.loader import render_to_string

register = template.Library()


def _field_anchor(bound_field) -> str:
    # Radio and checkbox groups have no single id; their first option stands for the group.
    return bound_field.id_for_label or (f"{bound_field.auto_id}_0" if bound_field.auto_id else "")


def form_error_items(form: BaseForm) -> list[dict]:
    """One item per message: non-field errors first, then each field's in the order the form shows them."""
    items = [{"anchor": "", "label": "", "message": message} for message in form.non_field_errors()]
    for name, errors in form.errors.items():
        if name == "__all__" or name not in form.fields:
            continue
        bound_field = form[name]
        anchor = "" if bound_field.is_hidden else _field_anchor(bound_field)
        items.extend({"anchor": anchor, "label": bound_field.label, "message": message} for message in errors)
    return items


def _forms_with_errors(context) -> list[BaseForm]:
    seen, forms = set(), []
    for value in context.flatten().values():
        if isinstance(value, BaseForm) and value.is_bound and id(value) not in seen and value.errors:
            seen.add(id(value))
            forms.append(value)
    return forms


@register.simple_tag(takes_context=True)
def error_summary(context, message=None, field="", label=""):
    if message:
        items = [{"anchor": field, "label": label, "message": message}]
    else:
        items = [item for form in _forms_with_errors(context) for item in form_error_items(form)]
    if not items:
        return ""
    return render_to_string("includes/error_summary.html", {"items": items})
