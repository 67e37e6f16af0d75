"""Every form found in the pages keeps what was typed when it is refused.

Each form is submitted with a distinct marker in every text field (markers are not valid mobiles, emails,
dates or numbers, so most forms are refused) and, where that is not enough, without one required choice.
A refused form must come back as a page, not a redirect, and show every marker and every chosen option
again; password and ID-number fields must not come back, and the page says they must be typed again; a
file field says the file must be chosen again.
"""

import pytest
from django.core.cache import cache
from django.db import transaction

from kexie.forms import RETYPE_ID_NUMBER, RESELECT_FILE
from tests.fuzz.discovery import forms_in, project_routes
from tests.fuzz.oracle import HostileRequest, refusal, response_text, send
from tests.fuzz.probes import RoleFuzz, _route_name, plausible, plausible_file
from tests.fuzz.world import build_world

TEXT_KINDS = {"text", "textarea", "email", "tel", "number", "date", "search", "url"}
SECRET_FIELDS = ("password", "id_number")


# A file no form accepts: forces the refusal of forms whose only input is a file.
REFUSED_FILE = ("evil.exe", b"MZ\x90\x00", "application/octet-stream")
VARIANTS = ("markers", "without a choice", "with a refused file")


def _submission(form, variant: str):
    pairs, files, typed, chosen = [], [], {}, {}
    drop_choice = variant == "without a choice"
    has_choice = any(f.kind in ("select", "radio") and any(f.options) for f in form.fields)
    dropped = None
    for i, spec in enumerate(form.fields):
        if spec.name == "csrfmiddlewaretoken" or spec.kind == "submit" or spec.disabled:
            continue
        if spec.kind == "file":
            files.append((spec.name, *(REFUSED_FILE if variant == "with a refused file" else plausible_file(spec))))
        elif spec.kind in TEXT_KINDS or spec.kind == "password":
            value = plausible(spec) if any(s in spec.name for s in SECRET_FIELDS) else f"保留{i}号"
            pairs.append((spec.name, value))
            typed[spec.name] = value
        elif spec.kind in ("select", "radio"):
            options = [o for o in spec.options if o]
            if drop_choice and dropped is None and spec.required is not False and options:
                dropped = spec.name
                continue
            value = options[-1] if options else ""
            pairs.append((spec.name, value))
            if spec.kind == "select":
                chosen[spec.name] = value
        elif spec.kind == "checkbox":
            if drop_choice and not has_choice:
                continue  # a list's row checkboxes: none selected
            pairs.append((spec.name, spec.options[0] if spec.options else "on"))
        else:
            pairs.append((spec.name, spec.default))
    return pairs, files, typed, chosen


def _submit(world, role, form, pairs, files):
    cache.clear()
    req = (
        HostileRequest("GET", form.action.split("?")[0], query=pairs)
        if form.method == "GET"
        else HostileRequest("POST", form.action, body=pairs, files=files)
    )
    with transaction.atomic():
        response = send(world.client(role), req)
        result = (response.status_code, refusal(response), response_text(response), response.get("Location", ""))
        transaction.set_rollback(True)
    return result


def _lost(form, status, html, typed, chosen, has_file) -> list[str]:
    problems = []
    again = [
        f for f in forms_in(html, page=form.page, page_path=form.action) if (f.method, f.action) == (form.method, form.action)
    ]
    if not again:
        return [f"the refused form is not on the page that answered (HTTP {status})"]
    fields = {f.name: f for f in again[0].fields}
    for name, value in typed.items():
        shown = fields.get(name)
        if any(s in name for s in SECRET_FIELDS):
            if shown is not None and shown.default == value:
                problems.append(f"{name} is echoed")
            continue
        if shown is None or shown.default.strip() != value:
            problems.append(f"{name}: typed {value!r}, shown {shown.default if shown else None!r}")
    for name, value in chosen.items():
        shown = fields.get(name)
        if shown is None or shown.default != value:
            problems.append(f"{name}: chose {value!r}, shown {shown.default if shown else None!r}")
    if any("id_number" in n for n in typed) and str(RETYPE_ID_NUMBER) not in html:
        problems.append("the page does not say the ID number must be typed again")
    if has_file and str(RESELECT_FILE) not in html:
        problems.append("the page does not say the file must be chosen again")
    return problems


@pytest.mark.django_db
# Together these see every form: the public ones, the applicant's and every console form (the province
# administrator manages the whole tree; the world gives its queue a row, so the batch approval form shows).
@pytest.mark.parametrize("role", ["anonymous", "applicant", "province_admin"])
def test_refused_forms_show_what_was_typed(role, request):
    """As `role`, every form on every page comes back with what was typed when it is refused."""
    world = build_world(request)
    run = RoleFuzz(world=world, role=role, routes=project_routes())
    run.discover()
    failures, checked = [], 0
    for form in run.forms.values():
        if form.encoding == "json":
            continue  # an API client keeps its own request; the pages' forms are what people type into
        if not [f for f in form.fields if f.kind not in ("hidden", "submit")]:
            continue  # a button alone (delete, withdraw, commit): nothing typed to keep
        has_file = any(f.kind == "file" for f in form.fields)
        for variant in VARIANTS:
            if variant == "with a refused file" and not has_file:
                continue
            pairs, files, typed, chosen = _submission(form, variant)
            status, refused, html, location = _submit(world, role, form, pairs, files)
            if not refused and status in (301, 302, 303):
                continue  # accepted: nothing to keep (the next variant may be refused)
            name = _route_name(form.action) or form.action
            checked += 1
            if status in (301, 302, 303):
                if typed or chosen or files:
                    failures.append(
                        f"{name} (on {form.page}): refused ({refused}) with a redirect to {location}: what was typed is lost"
                    )
            elif status != 200 or refused or form.method == "GET":
                problems = _lost(form, status, html, typed, chosen if refused else {}, has_file and bool(refused))
                failures += [f"{name} (on {form.page}): {p}" for p in problems]
            break
    assert checked, "no form was refused: the check tested nothing"
    assert not failures, f"{len(failures)} problems as {role}:\n" + "\n".join(dict.fromkeys(failures))
