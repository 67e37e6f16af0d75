"""Building hostile requests for one role: URL-level probes (methods, path parameters, query strings, CSRF,
headers) and field-level probes (one form field hostile, the others plausible so validation gets deep)."""

import json
import os
import zlib
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.urls import Resolver404, resolve
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from tests.conftest import valid_id_number
from tests.fuzz import hostile
from tests.fuzz.discovery import FORM_URLS, FieldSpec, FormSpec, Route, api_operations, forms_in, project_form_classes
from tests.fuzz.oracle import HostileRequest, judge

# Examples per URL and per form field. Small by default (the whole fuzz suite stays near a minute on
# SQLite); KEXIE_FUZZ_EXAMPLES=200 searches much further. Each URL and field has a fixed seed (from its name,
# plus KEXIE_FUZZ_SEED when given), so CI sees the same examples on every run and each target different ones.
_BUDGET = int(os.environ.get("KEXIE_FUZZ_EXAMPLES", "0") or 0)
URL_EXAMPLES = _BUDGET or 2
# Roles that only get the URL probes (their forms are fuzzed field by field as another role) take one example.
URL_EXAMPLES_URL_ONLY = _BUDGET or 1
FIELD_EXAMPLES = _BUDGET or 1
_SEED = os.environ.get("KEXIE_FUZZ_SEED")

INT_VARIANTS = ("own", "other", "missing", "zero", "huge", "huger", "padded")
TOKEN_VARIANTS = ("own", "claimed", "garbage")
METHODS = ("GET", "POST", "GET", "POST", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS")
COMMON_QUERY_KEYS = ("next", "page", "org", "year", "q", "parent", "show", "format", "scope", "status", "subtree", "kind")
EXTRA_BODY_KEYS = ("status", "org", "person", "user", "decided_by", "is_superuser", "id", "ids", "next")
HEADER_KEYS = ("HTTP_X_FORWARDED_FOR", "HTTP_REFERER", "HTTP_ACCEPT_LANGUAGE", "HTTP_USER_AGENT")

# The ID number typed where a form asks for one: a stored person's (the first re-registration row), so an
# echo of it is caught as a leak.
TYPED_ID_NUMBER = valid_id_number(70_001)
TYPED_PASSWORD = "Fuzz-Pass-2026"
# Valid choices for fields the REST API's schema names without listing options.
CHOICES = {
    "decision": "return", "grade": "senior", "category": "regular", "status": "lapsed", "level": "county",
    "education": "bachelor", "title": "intermediate", "gender": "male", "declaration": "true", "method": "on_site",
    "scopes": "read_progress", "expires_at": "2026-12-31T00:00:00+08:00", "kind": "paid",
}
# Body fields of the REST API that name an object (the schema only says "integer"): their plausible value is
# the world's object, so validation passes and the service is reached. The transfer target is county B, which
# the city and the province manage and county A's administrator does not.
API_BODY_OBJECTS = {"target_org": ("org", "other"), "unit": ("unit", "own")}


def hypothesis_settings(max_examples: int, label: str):
    def wrap(fn):
        fn = settings(
            max_examples=max_examples,
            deadline=None,
            database=None,
            phases=(Phase.explicit, Phase.generate),
            suppress_health_check=list(HealthCheck),
        )(fn)
        return seed(zlib.crc32(f"{_SEED or ''}{label}".encode()))(fn)

    return wrap


def param_value(world, route: Route, param: str, converter: str, variant: str):
    kind = route.kind_of(param)
    if kind == "flag":
        return {"own": 1, "other": 0, "missing": 2, "zero": 0, "huge": 2**63, "huger": 10**40, "padded": "0001"}[variant]
    if kind == "file_format":
        return {"own": "xlsx", "claimed": "csv"}.get(variant)  # else garbage, drawn by the caller
    if kind in ("verify", "rereg"):
        if variant == "own":
            return world.tokens[kind]
        if variant == "claimed":
            return world.tokens["rereg_claimed"] if kind == "rereg" else world.tokens[kind][:-1] + "x"
        return None  # garbage: drawn by the caller
    ids = world.objects[kind]
    return {
        "own": ids["own"],
        "other": ids["other"],
        "missing": 10**9 + 7,
        "zero": 0,
        "huge": 2**63,
        "huger": 10**40,
        "padded": f"000{ids['own']}",
    }[variant]


def plausible(spec: FieldSpec) -> str:
    """A value that passes validation, so the hostile value in another field is what the request tests."""
    name = spec.name
    if spec.kind in ("select", "radio"):
        return spec.default or next((o for o in spec.options if o), "")
    if spec.kind == "checkbox":
        return spec.options[0] if spec.options else "on"
    if spec.kind in ("hidden", "submit") or (spec.default and "password" not in name):
        return spec.default or (spec.options[0] if spec.options else "")
    if name in CHOICES:
        return CHOICES[name]
    if "password" in name:
        return TYPED_PASSWORD
    if "mobile" in name:
        return "13912345678"
    if "email" in name:
        return "fuzz@example.com"
    if name == "id_number":
        return TYPED_ID_NUMBER
    if name == "username":
        return "fuzz_user"
    if "date" in name or name == "paid_on":
        return "2026-01-15"
    if name == "year":
        return "2026"
    if name == "amount" or spec.kind == "number":
        return "10"
    if name == "uscc":
        return "91130121MA0A1B2C3X"
    return "测试"


def plausible_file(spec: FieldSpec) -> tuple[str, bytes, str]:
    if spec.name == "evidence":
        return ("proof.pdf", b"%PDF-1.4 evidence", "application/pdf")
    row = f"会员,{valid_id_number(88_001)},13788001000,某单位,本科,中级,普通会员,a@example.com\n"
    return ("名单.csv", (hostile.CENSUS_HEADER + row).encode("utf-8"), "text/csv")


def _header_value(value) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value.encode("utf-8", "surrogatepass").decode("latin-1")


@dataclass
class RoleFuzz:
    """Everything one role's fuzz run knows and finds."""

    world: object
    role: str
    routes: list
    forms: dict = field(default_factory=dict)  # signature -> FormSpec
    failures: list = field(default_factory=list)
    requests: int = 0
    pages: int = 0  # HTML pages that answered 200 in discovery
    field_by_field: bool = True  # this role also gets the field-level probes
    not_found: set = field(default_factory=set)  # routes that answered 404 to this role with in-scope ids

    def record(self, label: str, req: HostileRequest, passwords=()):
        outcome = judge(self.world, self.role, req, passwords=passwords)
        self.requests += 1
        for problem in outcome.problems:
            self.failures.append(f"[{self.role}] {label}: {problem}\n    request: {req.describe()}")
        return outcome

    # --- discovery ---------------------------------------------------------------------------------------

    def own_path(self, route: Route) -> str:
        return route.build({p: param_value(self.world, route, p, c, "own") for p, c in route.params})

    def discover(self):
        """GET every page with in-scope ids; each answer is judged and its forms are collected."""
        for route in self.routes:
            path = self.own_path(route)
            outcome = self.record(f"{route.name} (plain GET)", HostileRequest("GET", path))
            self.pages += bool(outcome.html)
            if outcome.status == 404:
                self.not_found.add(route.name)
            for spec in forms_in(outcome.html, page=route.name, page_path=path):
                self.forms.setdefault(spec.signature, spec)
            # The REST API's request bodies, from its schema: fuzzed field by field like the pages' forms.
            for method, operation in api_operations(route).items():
                if operation.body:
                    fields = [
                        FieldSpec(
                            name=n,
                            kind="file" if sch.get("format") == "binary" else "text",
                            default=self.api_body_default(n),
                        )
                        for n, sch in operation.body.items()
                    ]
                    spec = FormSpec(page=route.name, method=method, action=path, enctype="", fields=fields, encoding="json")
                    self.forms.setdefault(spec.signature, spec)

    def api_body_default(self, name: str) -> str:
        kind, variant = API_BODY_OBJECTS.get(name, (None, None))
        return str(self.world.objects[kind][variant]) if kind else ""

    def fields_for(self, route: Route) -> list[FieldSpec]:
        """Fields posted to `route`: from HTML forms that submit to it and from the Form classes mapped to it."""
        seen = {}
        for spec in self.forms.values():
            if _route_name(spec.action) == route.name:
                for f in spec.fields:
                    seen.setdefault(f.name, f)
        for operation in api_operations(route).values():
            for name, schema in operation.body.items():
                kind = "file" if schema.get("format") == "binary" else "text"
                seen.setdefault(name, FieldSpec(name=name, kind=kind, default=self.api_body_default(name)))
        classes = project_form_classes()
        for class_name, url_names in FORM_URLS.items():
            if route.name in url_names and class_name in classes:
                for name, form_field in classes[class_name].base_fields.items():
                    kind = "file" if form_field.widget.needs_multipart_form else "text"
                    seen.setdefault(name, FieldSpec(name=name, kind=kind))
        return list(seen.values())

    # --- URL-level probes ----------------------------------------------------------------------------------

    def fuzz_route(self, route: Route):
        fields = self.fields_for(route)
        seeded = self.world.id_numbers
        get_keys = sorted(
            {f.name for s in self.forms.values() if s.method == "GET" and s.page == route.name for f in s.fields}
            | {q for op in api_operations(route).values() for q in op.query}
        )
        is_api = route.route.startswith("api/")

        if route.name in self.not_found and not _BUDGET:
            return  # closed to this role: 404 with in-scope ids, before any input is read (judged in discovery)
        examples = URL_EXAMPLES if self.field_by_field else URL_EXAMPLES_URL_ONLY

        @hypothesis_settings(examples, f"{self.role} {route.name}")
        @given(st.data())
        def probe(data):
            values = {}
            for param, converter in route.params:
                variants = TOKEN_VARIANTS if converter == "str" else INT_VARIANTS
                variant = data.draw(st.sampled_from(variants), label=param)
                value = param_value(self.world, route, param, converter, variant)
                if value is None:
                    value = data.draw(hostile.scalar(seeded).filter(lambda v: v not in ("", b"", ".", "..")), label=param)
                values[param] = value
            method = data.draw(st.sampled_from(METHODS), label="method")
            keys = st.sampled_from(tuple(get_keys) + COMMON_QUERY_KEYS)
            query = data.draw(st.lists(st.tuples(keys, hostile.scalar(seeded)), max_size=4), label="query")
            if data.draw(st.booleans(), label="next"):
                query.append(("next", data.draw(hostile.redirect_target(), label="next target")))
            body, files = [], []
            if method in ("POST", "PUT", "PATCH", "DELETE"):
                for spec in fields:
                    choice = data.draw(st.sampled_from(("plausible", "hostile", "absent", "twice")), label=spec.name)
                    if spec.kind == "file":
                        if choice != "absent":
                            name, content, ctype = data.draw(st.sampled_from(hostile.files(seeded)), label="file")
                            files.append((spec.name, name, content, ctype))
                        continue
                    if choice == "absent":
                        continue
                    value = plausible(spec) if choice == "plausible" else data.draw(hostile.scalar(seeded), label=spec.name)
                    body.append((spec.name, value))
                    if choice == "twice":
                        body.append((spec.name, data.draw(hostile.scalar(seeded), label=spec.name + " again")))
                extra = data.draw(st.lists(st.tuples(st.sampled_from(EXTRA_BODY_KEYS), hostile.scalar(seeded)), max_size=2))
                body += extra
            raw_body = None
            if is_api and method in ("POST", "PUT", "PATCH", "DELETE") and not files:
                encoding = data.draw(st.sampled_from(("json", "json", "malformed json", "form")), label="encoding")
                if encoding == "malformed json":
                    raw_body = data.draw(st.sampled_from(hostile.MALFORMED_JSON), label="body")
                elif encoding == "json":
                    document = hostile.json_document(body)
                    if fields and data.draw(st.booleans(), label="extreme"):
                        document[data.draw(st.sampled_from(fields)).name] = data.draw(hostile.json_extremes())
                    raw_body = json.dumps(document).encode()
            enforce_csrf = method not in ("GET", "HEAD", "OPTIONS") and data.draw(st.booleans(), label="no csrf")
            headers = {}
            if data.draw(st.booleans(), label="headers"):
                key = data.draw(st.sampled_from(HEADER_KEYS))
                headers[key] = _header_value(data.draw(hostile.scalar(seeded)))
            req = HostileRequest(
                method, route.build(values), query=query, body=body, files=files, enforce_csrf=enforce_csrf,
                headers=headers, raw_body=raw_body,
            )
            self.record(route.name, req, passwords=_passwords(body))

        probe()

    # --- field-level probes --------------------------------------------------------------------------------

    def fuzz_form_field(self, form: FormSpec, target: FieldSpec):
        """`target` hostile, every other field plausible: first the fixed walk (one huge value carrying most
        hostile classes; a duplicated key ending in an out-of-range number), then hypothesis."""
        seeded = self.world.id_numbers
        action = urlsplit(form.action).path
        label = f"{_route_name(form.action) or form.action} field {target.name!r} (form on {form.page})"

        def request_with(values: list, file=None) -> HostileRequest:
            pairs, files = [], []
            for spec in form.fields:
                if spec.name == "csrfmiddlewaretoken":
                    continue
                if spec.kind == "file":
                    if spec is not target:
                        files.append((spec.name, *plausible_file(spec)))
                    elif file is not None:
                        files.append((spec.name, *file))
                    continue
                if spec is target:
                    pairs += [(spec.name, v) for v in values]
                elif spec.kind not in ("checkbox", "submit") or spec.default:
                    pairs.append((spec.name, plausible(spec)))
            if form.method == "GET":
                return HostileRequest("GET", action, query=pairs)
            if form.encoding == "json" and not files:
                document = hostile.json_document(pairs)
                return HostileRequest(form.method, action, body=pairs, raw_body=json.dumps(document).encode())
            return HostileRequest(form.method, action, body=pairs, files=files)

        # A valid value first and an out-of-range one under the same key: forms read the last one, id lists
        # read both.
        walk = [[hostile.KITCHEN_SINK + "A" * hostile.HUGE], [plausible(target), hostile.OUT_OF_RANGE]]
        for values in walk:
            req = request_with(values, file=hostile.files(seeded)[8] if target.kind == "file" else None)
            self.record(label, req, passwords=_passwords(req.query + req.body))
        if form.encoding == "json" and not _BUDGET:
            return  # the API's bodies reach the same forms as the pages; random JSON comes with the URL probes

        @hypothesis_settings(FIELD_EXAMPLES, f"{self.role} {label}")
        @given(st.data())
        def probe(data):
            if target.kind == "file":
                file = data.draw(st.one_of(st.none(), st.sampled_from(hostile.files(seeded))), label="file")
                req = request_with([], file=file)
            else:
                values = data.draw(st.lists(hostile.scalar(seeded), max_size=2), label=target.name)
                req = request_with(values)
            self.record(label, req, passwords=_passwords(req.query + req.body))

        probe()


def _passwords(pairs) -> tuple:
    return tuple(v for k, v in pairs if "password" in str(k) and isinstance(v, str))


def _route_name(action: str) -> str | None:
    try:
        match = resolve(urlsplit(action).path)
    except Resolver404:
        return None
    return match.view_name
