"""Application endpoints. Applicant side: organisation search and tree, eligibility check, apply, one's own
applications with their timeline, withdraw and resubmit. Review side: the queue (filters as the console's),
one application, decisions (single and batch) and recommendations upward. Every read goes through the same
selectors as the pages; every write through the same services."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from approvals import services
from approvals.api import serializers as s
from approvals.eligibility import all_met, criteria_as_json, eligibility_check
from approvals.forms import ApplicationForm, BatchApproveForm, DecisionForm, QueueFilterForm, RecommendForm, ResubmitForm
from approvals.selectors import review as review_selectors
from approvals.selectors.applicant import (
    application_of_or_404,
    application_timeline,
    applications_of,
    org_accepting_or_404,
    org_browse,
    orgs_search,
)
from kexie.api.errors import ApiError, filters_or_error, form_invalid
from kexie.api.idempotency import idempotent
from kexie.api.pagination import cursor_ordered_by
from kexie.api.parsers import form_data
from members.models import PersonAccess
from members.selectors.directory import membership_managed_or_404
from members.services.access import person_access_record
from members.selectors.people import person_for
from members.services.consent import consent_live
from members.services.people import profile_missing_fields
from orgs.api.permissions import AccountOnly
from orgs.selectors.scope import orgs_visible_to

ACCOUNT = [IsAuthenticated, AccountOnly]
TAG_ORGS = ["申请人：选择组织"]
TAG_APPLY = ["申请人：入会申请"]
TAG_REVIEW = ["管理员：审核与推荐"]


class OrgSearchView(generics.ListAPIView):
    """按名称搜索组织（含暂不接受申请的组织，is_active=false），按层级顺序排列。无需登录。"""

    permission_classes = [AllowAny]
    serializer_class = s.OrgSerializer
    pagination_class = cursor_ordered_by("tree_id", "lft")

    def get_queryset(self):
        query = self.request.query_params.get("q", "").strip()
        if not query:
            raise ApiError(code="validation_error", message=_("请输入组织名称中的关键字"))
        return orgs_search(query[:50])

    @extend_schema(
        tags=TAG_ORGS,
        summary="搜索组织",
        parameters=[OpenApiParameter("q", str, required=True, description="组织名称中的关键字")],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class OrgTreeView(APIView):
    """逐级浏览组织树：不带 parent 时返回顶层组织，带 parent 时返回该组织的上级路径和下级组织。无需登录。"""

    permission_classes = [AllowAny]

    @extend_schema(
        tags=TAG_ORGS,
        summary="组织树",
        responses=s.OrgTree,
        parameters=[OpenApiParameter("parent", int, required=False, description="上级组织编号")],
    )
    def get(self, request):
        parent, ancestors, children = org_browse(request.query_params.get("parent"))
        return Response(s.OrgTree({"parent": parent, "ancestors": ancestors, "children": children}).data)


class EligibilityView(APIView):
    """按组织级别逐项核对本人是否符合会员条件（不符合也可提交，须填写说明）。"""

    permission_classes = ACCOUNT

    @extend_schema(tags=TAG_APPLY, summary="会员条件核对", responses=s.EligibilitySerializer)
    def get(self, request, org_id: int):
        org = org_accepting_or_404(org_id)
        person = person_for(request.user)
        criteria = eligibility_check(person, org.level) if person else []
        return Response(
            s.EligibilitySerializer(
                {
                    "org": org,
                    "criteria": criteria_as_json(criteria),
                    "all_met": all_met(criteria) if criteria else False,
                    "missing_fields": profile_missing_fields(person) if person else [_("个人资料")],
                    "consent_given": consent_live(request.user) is not None,
                }
            ).data
        )


class MyApplicationListView(generics.ListAPIView):
    """本人的入会申请（GET，最新的在前）；提交新的申请（POST）。提交前须同意授权、填好资料并勾选入会声明。"""

    permission_classes = ACCOUNT
    serializer_class = s.MyApplicationSerializer
    pagination_class = cursor_ordered_by("-submitted_at", "-id")

    def get_queryset(self):
        return applications_of(person_for(self.request.user))

    @extend_schema(tags=TAG_APPLY, summary="我的申请")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(tags=TAG_APPLY, summary="提交入会申请", request=s.ApplyRequest, responses={201: s.MyApplicationSerializer})
    @idempotent
    def post(self, request):
        org = org_accepting_or_404(request.data.get("org"))
        person = person_for(request.user)
        if person is None:
            raise ApiError(code="rule_violation", message=_("请先填写并保存个人资料"))
        if consent_live(request.user) is None:
            raise ApiError(code="consent_required", message=_("请先阅读并同意个人信息授权说明"))
        form = ApplicationForm(form_data(request.data))
        if not form.is_valid():
            raise form_invalid(form)
        application = services.application_submit(
            person=person,
            org=org,
            explanation=form.cleaned_data["explanation"],
            declaration_accepted=form.cleaned_data["declaration"],
        )
        return Response(s.MyApplicationSerializer(application).data, status=status.HTTP_201_CREATED)


class MyApplicationDetailView(APIView):
    """本人的一份申请：状态、提交时的条件核对和完整办理进度（含推荐至上级后的处理）。"""

    permission_classes = ACCOUNT

    @extend_schema(tags=TAG_APPLY, summary="申请详情与办理进度", responses=s.MyApplicationDetailSerializer)
    def get(self, request, pk: int):
        application = application_of_or_404(person_for(request.user), pk)
        context = {"timeline": application_timeline(application)}
        return Response(s.MyApplicationDetailSerializer(application, context=context).data)


class WithdrawView(APIView):
    """撤回审核中或退回修改的申请。"""

    permission_classes = ACCOUNT

    @extend_schema(tags=TAG_APPLY, summary="撤回申请", request=None, responses=s.MyApplicationSerializer)
    def post(self, request, pk: int):
        person = person_for(request.user)
        application = services.application_withdraw(application=application_of_or_404(person, pk), person=person)
        return Response(s.MyApplicationSerializer(application).data)


class ResubmitView(APIView):
    """按退回意见修改资料后重新提交（只有被退回修改的申请可以）。"""

    permission_classes = ACCOUNT

    @extend_schema(tags=TAG_APPLY, summary="重新提交", request=s.ResubmitRequest, responses=s.MyApplicationSerializer)
    def post(self, request, pk: int):
        person = person_for(request.user)
        application = application_of_or_404(person, pk)
        form = ResubmitForm(form_data(request.data))
        if not form.is_valid():
            raise form_invalid(form)
        explanation = form.cleaned_data["explanation"] if "explanation" in request.data else None
        application = services.application_resubmit(application=application, person=person, explanation=explanation)
        return Response(s.MyApplicationSerializer(application).data)


# --- review ----------------------------------------------------------------------------------------------

QUEUE_FILTERS = {"org", "subtree", "status", "level", "date_from", "date_to", "eligible", "q"}


class ReviewQueueView(generics.ListAPIView):
    """审核队列，筛选条件与控制台相同。不带任何筛选条件时只列出本组织待审核的申请；subtree=true 含下级组织。
    org 不在管辖范围内时返回 404。服务令牌需要 decide 权限范围。"""

    serializer_class = s.ReviewApplicationSerializer
    pagination_class = cursor_ordered_by(*review_selectors.QUEUE_ORDER)
    token_scopes = {"GET": "decide"}

    def get_queryset(self):
        params = self.request.query_params
        data = params if set(params) & QUEUE_FILTERS else {"status": "submitted"}
        form = QueueFilterForm(data, orgs=orgs_visible_to(self.request.user))
        return review_selectors.applications_for_review(self.request.user, **filters_or_error(form))

    @extend_schema(
        tags=TAG_REVIEW,
        summary="审核队列",
        parameters=[
            OpenApiParameter("org", int, description="组织编号（默认为本组织）"),
            OpenApiParameter("subtree", bool, description="含下级组织"),
            OpenApiParameter("status", str, description="状态：submitted、returned、approved、rejected、withdrawn"),
            OpenApiParameter("level", str, description="组织级别：province、city、county"),
            OpenApiParameter("date_from", OpenApiTypes.DATE, description="提交日期从"),
            OpenApiParameter("date_to", OpenApiTypes.DATE, description="提交日期至"),
            OpenApiParameter("eligible", str, enum=["yes", "no"], description="是否符合会员条件"),
            OpenApiParameter("q", str, description="姓名或手机号"),
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


def _detail(request, application) -> dict:
    return s.ReviewApplicationDetailSerializer(
        application,
        context={
            "history": review_selectors.application_history(application),
            "membership": review_selectors.application_membership(application),
            "can_decide": review_selectors.can_decide(request.user, application),
            "can_recommend": review_selectors.can_recommend(request.user, application),
        },
    ).data


class ReviewDetailView(APIView):
    """一份申请的详情：个人资料（身份证号只显示脱敏值）、奖励、条件核对、推荐信息和办理记录。"""

    token_scopes = {"GET": "decide"}

    @extend_schema(tags=TAG_REVIEW, summary="申请详情", responses=s.ReviewApplicationDetailSerializer)
    def get(self, request, pk: int):
        application = review_selectors.application_visible_or_404(request.user, pk)
        person_access_record(
            viewer=request.user, person_ids=[application.person_id], org=application.org,
            what=PersonAccess.What.PROFILE, detail=_("审核入会申请（接口）"),
        )
        return Response(_detail(request, application))


class DecisionView(APIView):
    """审核决定：批准（发放会员编号）、退回修改（须写明修改意见）、不予通过（须写明理由）。
    申请已被他人处理时返回 409 invalid_transition。"""

    token_scopes = {"POST": "decide"}

    @extend_schema(tags=TAG_REVIEW, summary="审核决定", request=s.DecisionRequest, responses=s.DecisionResult)
    def post(self, request, pk: int):
        application = review_selectors.application_managed_or_404(request.user, pk)
        form = DecisionForm(form_data(request.data), meets_criteria=application.meets_criteria)
        if not form.is_valid():
            raise form_invalid(form)
        data, number = form.cleaned_data, None
        if data["decision"] == DecisionForm.APPROVE:
            membership = services.application_approve(
                application=application,
                reviewer=request.user,
                comment=data["comment"],
                override_reason=data.get("override_reason", ""),
            )
            number = membership.number
        elif data["decision"] == DecisionForm.RETURN:
            services.application_return(application=application, reviewer=request.user, comment=data["comment"])
        else:
            services.application_reject(application=application, reviewer=request.user, comment=data["comment"])
        application = review_selectors.application_visible_or_404(request.user, pk)
        return Response(s.DecisionResult({"application": application, "member_number": number}).data)


class BatchApproveView(APIView):
    """批量批准：只批准完全符合会员条件的申请；任一编号不在管辖范围内时整批返回 404。"""

    token_scopes = {"POST": "decide"}

    @extend_schema(tags=TAG_REVIEW, summary="批量批准", request=s.BatchApproveRequest, responses=s.BatchApproveResult)
    def post(self, request):
        body = s.BatchApproveRequest(data=request.data)
        body.is_valid(raise_exception=True)
        form = BatchApproveForm({"ids": body.validated_data["ids"], "comment": body.validated_data.get("comment", "")})
        if not form.is_valid():
            raise form_invalid(form)
        applications = review_selectors.applications_managed_or_404(request.user, form.cleaned_data["ids"])
        approved, errors = services.applications_approve_batch(
            application_ids=[a.pk for a in applications], reviewer=request.user, comment=form.cleaned_data["comment"]
        )
        return Response({"approved": approved, "errors": [str(e) for e in errors]})


def _recommend(request, *, person, from_org, source_membership=None, source_application=None):
    form = RecommendForm(form_data(request.data))
    if not form.is_valid():
        raise form_invalid(form)
    recommendation = services.recommendation_create(
        actor=request.user,
        from_org=from_org,
        person=person,
        opinion=form.cleaned_data["opinion"],
        source_membership=source_membership,
        source_application=source_application,
    )
    return Response(s.RecommendationResult(recommendation).data, status=status.HTTP_201_CREATED)


class RecommendApplicationView(APIView):
    """把本组织正在审核的申请推荐至上级组织；上级把推荐当作申请审核。"""

    permission_classes = ACCOUNT

    @extend_schema(tags=TAG_REVIEW, summary="推荐申请至上级", request=s.RecommendRequest, responses={201: s.RecommendationResult})
    @idempotent
    def post(self, request, pk: int):
        application = review_selectors.application_managed_or_404(request.user, pk)
        return _recommend(request, person=application.person, from_org=application.org, source_application=application)


class RecommendMemberView(APIView):
    """把本组织的有效会员推荐至上级组织（县 → 市 → 省分两次推荐）。"""

    permission_classes = ACCOUNT

    @extend_schema(tags=TAG_REVIEW, summary="推荐会员至上级", request=s.RecommendRequest, responses={201: s.RecommendationResult})
    @idempotent
    def post(self, request, pk: int):
        membership = membership_managed_or_404(request.user, pk)
        return _recommend(request, person=membership.person, from_org=membership.org, source_membership=membership)
