"""The fuzzer covers the whole project: a new URL or Form class it cannot reach fails here."""

from tests.fuzz.discovery import FORM_URLS, PARAM_KINDS, project_form_classes, project_routes


def test_every_url_parameter_names_an_object_the_fuzzer_builds():
    """A path parameter the fuzzer cannot fill (no entry in PARAM_KINDS) would leave its URL unfuzzed."""
    routes = project_routes()
    assert len(routes) > 50, "the URL conf walk found too few patterns"
    missing = sorted(f"{r.name}: <{c}:{p}>" for r in routes for p, c in r.params if r.kind_of(p) is None)
    assert not missing, f"add these path parameters to PARAM_KINDS in tests/fuzz/discovery.py: {missing}"
    kinds = {"org", "account", "application", "returned_application", "award", "membership", "my_membership",
             "census", "flag", "verify", "rereg", "year", "payment", "receipt", "my_receipt", "service_token", "webhook", "delivery",
             "file_format"}
    assert set(PARAM_KINDS.values()) <= kinds, "PARAM_KINDS names a kind tests/fuzz/world.py does not build"


def test_every_form_class_is_mapped_to_the_urls_that_take_it():
    """Each Form class of orgs/, members/ and approvals/ is fuzzed through at least one URL; a new form must
    be added to FORM_URLS in tests/fuzz/discovery.py, a removed one taken out."""
    classes = project_form_classes()
    assert len(classes) > 15, "the forms modules walk found too few Form classes"
    unmapped = sorted(set(classes) - set(FORM_URLS))
    assert not unmapped, f"Form classes not mapped to any URL in FORM_URLS: {unmapped}"
    stale = sorted(set(FORM_URLS) - set(classes))
    assert not stale, f"FORM_URLS names Form classes that no longer exist: {stale}"
    names = {r.name for r in project_routes()}
    unknown = sorted(f"{c} -> {u}" for c, urls in FORM_URLS.items() for u in urls if u not in names)
    assert not unknown, f"FORM_URLS maps to URL names that do not exist: {unknown}"
