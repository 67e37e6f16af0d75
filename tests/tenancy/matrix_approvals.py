"""Review console URLs: every one reaches only objects in the actor's subtree; staff may only read."""

from django.core.files.base import ContentFile
from django.urls import reverse

from tests.tenancy.base import MANAGERS, READERS, Case


YEAR = 2026


def extend_context(ctx, request):
    from approvals import services
    from members.models import Award

    make_applicant = request.getfixturevalue("make_applicant")
    county_a = ctx["county_a"]

    pending = make_applicant("赵六")
    award = Award.objects.create(person=pending, name="县科技进步奖", level="county", year=2025)
    award.evidence.save("proof.pdf", ContentFile(b"%PDF-1.4 evidence"), save=True)
    application = services.application_submit(person=pending, org=county_a, declaration_accepted=True)

    member = make_applicant("钱七")
    approved = services.application_submit(person=member, org=county_a, declaration_accepted=True)
    membership = services.application_approve(application=approved, reviewer=ctx["admin_a"])

    ctx.update(
        review_application=application,
        review_award=award,
        review_membership=membership,
    )


def _get(name, *args, query=""):
    return lambda ctx: (reverse(name, args=[a(ctx) for a in args]) + query, None)


def _org_query(ctx):
    return f"?org={ctx['county_a'].pk}"


SCOPED = [
    # Lists answer 404 when asked for an org outside the subtree; unfiltered they only show the subtree.
    Case("approvals:queue", lambda ctx: (reverse("approvals:queue") + _org_query(ctx), None), READERS),
    Case("approvals:queue_export", lambda ctx: (reverse("approvals:queue_export") + _org_query(ctx), None), READERS),
    Case("approvals:detail", _get("approvals:detail", lambda c: c["review_application"].pk), READERS),
    Case(
        "approvals:evidence_download",
        _get(
            "approvals:evidence_download",
            lambda c: c["review_application"].pk,
            lambda c: c["review_award"].pk,
        ),
        READERS,
    ),
    Case(
        "approvals:evidence_view",
        _get(
            "approvals:evidence_view",
            lambda c: c["review_application"].pk,
            lambda c: c["review_award"].pk,
        ),
        READERS,
    ),
    Case(
        "approvals:decide",
        lambda ctx: (
            reverse("approvals:decide", args=[ctx["review_application"].pk]),
            {"decision": "return", "comment": "请补充证明材料"},
        ),
        MANAGERS,
    ),
    Case(
        "approvals:batch_approve",
        lambda ctx: (reverse("approvals:batch_approve"), {"ids": [ctx["review_application"].pk]}),
        MANAGERS,
    ),
    Case(
        "approvals:recommend_application",
        lambda ctx: (
            reverse("approvals:recommend_application", args=[ctx["review_application"].pk]),
            {"opinion": "业绩突出，推荐至上级科协"},
        ),
        MANAGERS,
    ),
    # The annual report (年报) of county A.
    Case("approvals:report", _get("approvals:report", lambda c: c["county_a"].pk, lambda c: YEAR), READERS),
    Case("approvals:report_xlsx", _get("approvals:report_xlsx", lambda c: c["county_a"].pk, lambda c: YEAR), READERS),
    Case(
        "approvals:member_recommend",
        lambda ctx: (
            reverse("approvals:member_recommend", args=[ctx["review_membership"].pk]),
            {"opinion": "长期从事科普工作，推荐至上级科协"},
        ),
        MANAGERS,
    ),
]

UNSCOPED = {
    "approvals:workbench": "scoped lists of the user's own organisations (tests/approvals/test_workbench.py)",
    # The applicant's application pages act only on the signed-in person's own applications.
    "applications:org_choose": "public list of organisations (names, levels, kinds only)",
    "applications:apply": "any active organisation may be applied to; creates only the user's own application",
    "applications:application_list": "own applications",
    "applications:application_detail": "own application; another person's id is 404 (tests/members/test_ownership.py)",
    "applications:application_resubmit": "own application; another person's id is 404 (tests/members/test_ownership.py)",
    "applications:application_withdraw": "own application; another person's id is 404 (tests/members/test_ownership.py)",
}
