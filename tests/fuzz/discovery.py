"""What the fuzzer attacks, found rather than listed: URL patterns from the URL conf, forms from the rendered
HTML of every page, and the project's Form classes from every forms module of kexie/, orgs/, members/ and
approvals/.

Two tables here are the coverage contract: PARAM_KINDS says which object each path parameter names (a URL
with a parameter no entry covers fails tests/fuzz/test_coverage.py), and FORM_URLS maps every Form class to
the URLs that take it (a Form class that is not mapped fails the same test).
"""

import importlib
import pkgutil
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote, urlsplit

from django import forms
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

PROJECT_APPS = ("kexie", "orgs", "members", "approvals")

# Django's admin is guarded by Django (staff and superusers only); its login page is a login entrance of
# the project, so it is fuzzed, the model pages are not.
ADMIN_URLS = {"admin:login", "admin:logout", "admin:index"}

# Path parameter -> kind of object (tests/fuzz/world.py builds an in-scope and an out-of-scope one of each).
# Keyed by parameter name, or by (url name, parameter) where one name means different objects.
PARAM_KINDS = {
    "org_id": "org",
    "user_id": "account",
    "application_id": "application",
    "award_id": "award",
    "membership_id": "membership",
    "census_id": "census",
    "year": "year",
    "active": "flag",
    "payment_id": "payment",
    "receipt_id": "receipt",
    "endpoint_id": "webhook",
    "delivery_id": "delivery",
    "accepting": "flag",
    "file_format": "file_format",
    ("members:award_edit", "pk"): "award",
    ("members:award_delete", "pk"): "award",
    ("members:award_evidence", "pk"): "award",
    ("applications:application_detail", "pk"): "application",
    ("applications:application_withdraw", "pk"): "application",
    ("applications:application_resubmit", "pk"): "returned_application",
    ("certificates:download", "membership_id"): "my_membership",
    ("certificates:verify", "token"): "verify",
    ("members:claim", "token"): "rereg",
    ("members:me_receipt", "receipt_id"): "my_receipt",
    ("members:me_fee_pay", "membership_id"): "my_membership",
    ("members:me_renewal_confirm", "membership_id"): "my_membership",
    # The REST API (/api/v1/) names its objects `pk`.
    ("approvals_api:detail", "pk"): "application",
    ("approvals_api:decide", "pk"): "application",
    ("approvals_api:recommend_application", "pk"): "application",
    ("approvals_api:recommend_member", "pk"): "membership",
    ("approvals_api:my_application", "pk"): "application",
    ("approvals_api:withdraw", "pk"): "application",
    ("approvals_api:resubmit", "pk"): "returned_application",
    ("members_api:award", "pk"): "award",
    ("members_api:certificate", "pk"): "my_membership",
    ("members_console_api:census", "pk"): "census",
    ("members_console_api:member", "pk"): "membership",
    ("members_console_api:member_grade", "pk"): "membership",
    ("members_console_api:member_status", "pk"): "membership",
    ("members_console_api:member_transfer", "pk"): "membership",
    ("members_console_api:member_unit", "pk"): "membership",
    ("members_console_api:member_fee", "pk"): "membership",
    ("members_console_api:census_commit", "pk"): "census",
    ("members_console_api:census_errors", "pk"): "census",
    ("orgs_api:service_token_revoke", "pk"): "service_token",
    ("orgs_api:webhook_revoke", "pk"): "webhook",
    ("orgs_api:webhook_deliveries", "pk"): "webhook",
    ("orgs_api:webhook_redeliver", "pk"): "delivery",
}

# Every Form class of the project -> the URL names that take it (its page, or the URL its HTML form posts to).
FORM_URLS = {
    "LoginForm": ["login"],
    "AdminLoginForm": ["admin:login"],
    "AdminAccountForm": ["orgs:account_create"],
    "StaffAccountForm": ["orgs:staff_create"],
    "ProgressFilterForm": ["orgs:dashboard", "orgs:dashboard_export", "orgs:target_list", "progress:index"],
    "TargetForm": ["orgs:target_edit"],
    "QueueFilterForm": ["approvals:queue", "approvals:queue_export"],
    "DecisionForm": ["approvals:decide"],
    "BatchApproveForm": ["approvals:batch_approve"],
    "RecommendForm": ["approvals:recommend_application", "approvals:member_recommend"],
    "RegistrationForm": ["members:register"],
    "ProfileForm": ["members:profile"],
    "AwardForm": ["members:award_create", "members:award_edit"],
    "ApplicationForm": ["applications:apply"],
    "ResubmitForm": ["applications:application_resubmit"],
    "OrgSearchForm": ["applications:org_choose"],
    "OrgFilterForm": ["console_members:home"],
    "MemberDirectoryForm": ["console_members:member_list", "console_members:member_export"],
    "GradeForm": ["console_members:member_grade"],
    "UnitMemberForm": ["console_members:unit_create"],
    "UnitLinkForm": ["console_members:member_unit", "members_console_api:member_unit"],
    "FeeForm": ["console_members:fee_set"],
    "FeePaymentForm": ["console_members:member_fee", "members_console_api:member_fee"],
    "TransferForm": ["console_members:member_transfer", "members_console_api:member_transfer"],
    "StatusForm": ["console_members:member_status"],
    "CensusUploadForm": ["console_members:census_upload"],
    "ClaimForm": ["members:claim"],
    "DuesPaymentForm": ["members:me_fee_pay"],
    "DuesRejectForm": ["console_members:dues_reject"],
    "RenewalWindowForm": ["console_members:renewal_window_set"],
    "HandlingDaysForm": ["orgs:handling_days"],
    "WebhookEndpointForm": ["orgs:webhook_list"],
    "TwoFactorSetupForm": ["orgs:two_factor_setup"],
    "TwoFactorVerifyForm": ["orgs:two_factor_verify"],
    "TwoFactorTokenForm": ["orgs:two_factor_codes_regenerate"],
    "PasswordChangeForm": ["password_change"],
    "PasswordResetForm": ["members:password_reset", "members_api:password_reset"],
    "MobileChangeForm": ["members:mobile_change"],
    "EmailVerifyForm": ["members:email_verify"],
    "AuditFilterForm": ["orgs:audit_list", "orgs:audit_export"],
    "OfficerAccountForm": ["orgs:officer_create"],
    "CensusPeopleFilterForm": ["console_members:census_people", "console_members:census_people_export"],
    "FeeInstructionsForm": ["console_members:fee_instructions"],
    "FeeRosterFilterForm": ["console_members:fee_members"],
    "FeeRecordForm": ["console_members:fee_record"],
}

_PARAM_RE = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class Route:
    name: str
    route: str  # e.g. "console/orgs/<int:org_id>/"
    params: tuple  # ((name, converter), ...)

    def kind_of(self, param: str) -> str | None:
        return PARAM_KINDS.get((self.name, param)) or PARAM_KINDS.get(param)

    def build(self, values: dict) -> str:
        """The path with each parameter replaced by its value, percent-encoded as a client would send it."""

        def fill(match):
            value = values[match["name"]]
            if isinstance(value, bytes):
                return quote(value, safe="")
            return quote(str(value).encode("utf-8", "surrogatepass"), safe="")

        return "/" + _PARAM_RE.sub(fill, self.route)


def project_routes() -> list[Route]:
    """Every named URL pattern of the project (Django's admin only for its login entrance)."""
    routes = []

    def walk(resolver, prefix_route, prefix_name):
        for pattern in resolver.url_patterns:
            if prefix_name == "admin:" and getattr(pattern, "name", None) not in {n.split(":")[1] for n in ADMIN_URLS}:
                continue
            if not isinstance(pattern.pattern, RoutePattern):
                raise AssertionError(f"the fuzzer builds paths from path() routes; regex pattern {pattern.pattern} found")
            route = prefix_route + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                namespace = f"{prefix_name}{pattern.namespace}:" if pattern.namespace else prefix_name
                walk(pattern, route, namespace)
            elif isinstance(pattern, URLPattern):
                name = f"{prefix_name}{pattern.name}" if pattern.name else f"{prefix_name}<unnamed {route}>"
                if name.startswith("admin:") and name not in ADMIN_URLS:
                    continue
                params = tuple((m["name"], m["converter"] or "str") for m in _PARAM_RE.finditer(route))
                routes.append(Route(name=name, route=route, params=params))

    walk(get_resolver(), "", "")
    return routes


# --- the REST API's operations, from its OpenAPI schema --------------------------------------------------------


@dataclass
class ApiOperation:
    query: list  # query parameter names
    body: dict  # body property name -> its JSON schema


_API = None


def api_operations(route: Route) -> dict[str, ApiOperation]:
    """Method -> what the OpenAPI schema (drf-spectacular) says the route takes; {} outside the API."""
    global _API
    if _API is None:
        from drf_spectacular.generators import SchemaGenerator

        schema = SchemaGenerator().get_schema(request=None, public=True)
        components = schema.get("components", {}).get("schemas", {})

        def resolve_ref(node):
            ref = node.get("$ref", "")
            return components.get(ref.rsplit("/", 1)[-1], {}) if ref else node

        _API = []
        for path, item in schema.get("paths", {}).items():
            pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")
            ops = {}
            for method, op in item.items():
                content = op.get("requestBody", {}).get("content", {})
                body = {}
                for media in content.values():
                    body.update(resolve_ref(media.get("schema", {})).get("properties", {}))
                query = [p["name"] for p in op.get("parameters", []) if p.get("in") == "query"]
                ops[method.upper()] = ApiOperation(query=query, body=body)
            _API.append((path.count("{"), pattern, ops))
        _API.sort(key=lambda entry: entry[0])  # "batch-approve/" before "{id}/"
    path = route.build({p: 1 for p, _ in route.params})
    return next((ops for _, pattern, ops in _API if pattern.match(path)), {})


# --- the project's Form classes ------------------------------------------------------------------------------


def _forms_modules():
    for app in PROJECT_APPS:
        package = importlib.import_module(app)
        yield from _walk(package)


def _walk(package):
    for info in pkgutil.walk_packages(package.__path__, prefix=package.__name__ + "."):
        last = info.name.rsplit(".", 1)[-1]
        if last == "forms" or last.endswith("_forms") or ".forms." in info.name:
            yield importlib.import_module(info.name)


def project_form_classes() -> dict[str, type]:
    """Every concrete Form class defined in a forms module of orgs/, members/ and approvals/, by name."""
    found = {}
    for module in _forms_modules():
        for name, obj in vars(module).items():
            if (
                isinstance(obj, type)
                and issubclass(obj, forms.BaseForm)
                and obj.__module__ == module.__name__
                and not name.startswith("_")
            ):
                found[name] = obj
    return found


# --- forms in the rendered HTML ------------------------------------------------------------------------------


@dataclass
class FieldSpec:
    name: str
    kind: str  # text, password, hidden, checkbox, radio, select, textarea, file, number, date, email, tel, submit
    default: str = ""
    options: list = field(default_factory=list)
    required: bool = False
    disabled: bool = False  # shown, not submitted by a browser, ignored by the form


@dataclass
class FormSpec:
    page: str  # URL name of the page the form was found on
    method: str
    action: str  # path the form submits to
    enctype: str
    fields: list
    encoding: str = "form"  # "json" for the REST API's operations

    @property
    def signature(self) -> tuple:
        """The same form for another object (a delete button per award) is the same form to fuzz."""
        from django.urls import Resolver404, resolve

        path = urlsplit(self.action).path
        try:
            target = resolve(path).view_name
        except Resolver404:
            target = path
        return (self.method, target, tuple(sorted({f.name for f in self.fields})))


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"method": (a.get("method") or "get").upper(), "action": a.get("action") or "",
                          "enctype": a.get("enctype") or "", "fields": {}}
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        name = a.get("name")
        fields = self._form["fields"]
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            spec = fields.setdefault(name, FieldSpec(name=name, kind=kind, required="required" in a, disabled="disabled" in a))
            if kind in ("checkbox", "radio"):
                spec.options.append(a.get("value", "on"))
                if "checked" in a:
                    spec.default = a.get("value", "on")
            elif kind not in ("submit", "button", "image", "reset"):
                spec.default = a.get("value", "") or ""
            else:
                spec.options.append(a.get("value", ""))
        elif tag == "button" and name:
            spec = fields.setdefault(name, FieldSpec(name=name, kind="submit"))
            spec.options.append(a.get("value", ""))
        elif tag == "select" and name:
            self._select = fields.setdefault(name, FieldSpec(name=name, kind="select", required="required" in a))
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            self._select.options.append(value)
            if "selected" in a:
                self._select.default = value
        elif tag == "textarea" and name:
            self._textarea = fields.setdefault(name, FieldSpec(name=name, kind="textarea", required="required" in a))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.default += data


def forms_in(html: str, *, page: str, page_path: str) -> list[FormSpec]:
    parser = _FormParser()
    parser.feed(html)
    specs = []
    for f in parser.forms:
        action = f["action"] or page_path
        if urlsplit(action).netloc:
            continue  # a form posting elsewhere is not ours to fuzz
        specs.append(FormSpec(page=page, method=f["method"], action=action, enctype=f["enctype"], fields=list(f["fields"].values())))
    return specs
