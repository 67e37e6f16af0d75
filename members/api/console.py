"""Administrator endpoints of members: the member directory, one member, member actions (grade, status) and
census uploads. Scoped by the same selectors as the console pages; out of scope answers 404."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from kexie.api.errors import filters_or_error, form_invalid
from kexie.api.idempotency import idempotent
from kexie.api.pagination import cursor_ordered_by
from kexie.api.parsers import form_data
from members.forms.census import CensusUploadForm
from members.forms.memberships import GradeForm, MemberDirectoryForm, StatusForm
from members.models import CensusImport, Membership, PersonAccess
from members.selectors.census import census_visible_or_404
from members.selectors.directory import member_directory, membership_managed_or_404, membership_visible_or_404
from members.services import census as census_services
from members.services.access import person_access_record
from members.services.memberships import membership_grade_set, membership_status_set
from orgs.api.permissions import AccountOnly
from orgs.selectors.scope import org_managed_or_404, orgs_visible_to

TAG_MEMBERS = ["管理员：会员名册"]
TAG_CENSUS = ["管理员：普查导入"]


class MemberSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="person.name")
    id_number_masked = serializers.CharField(source="person.id_number_masked", help_text="脱敏身份证号")
    mobile = serializers.CharField(source="person.mobile")
    employer = serializers.CharField(source="person.employer")
    org_id = serializers.IntegerField()
    org_name = serializers.CharField(source="org.name")
    unit = serializers.CharField(source="unit.name", allow_null=True, default=None, help_text="所在团体会员单位")

    class Meta:
        model = Membership
        fields = [
            "id", "number", "name", "id_number_masked", "mobile", "employer", "org_id", "org_name", "level",
            "grade", "category", "status", "joined_on", "unit",
        ]


class GradeRequest(serializers.Serializer):
    grade = serializers.ChoiceField(choices=Membership.Grade.choices, help_text="会员等级（会士不超过本组织个人会员的 1%）")
    category = serializers.ChoiceField(choices=Membership.Category.choices, help_text="会员类别")


class StatusRequest(serializers.Serializer):
    status = serializers.ChoiceField(choices=["lapsed", "withdrawn", "active"], help_text="失效 / 退会 / 恢复有效")
    comment = serializers.CharField(required=False, allow_blank=True, help_text="原因")


class CensusSerializer(serializers.ModelSerializer):
    org_id = serializers.IntegerField()
    progress = serializers.SerializerMethodField(help_text="后台任务进度：phase、processed、total")

    class Meta:
        model = CensusImport
        fields = [
            "id", "org_id", "original_name", "status", "total_rows", "valid_rows", "error_rows", "imported_rows",
            "message", "progress",
        ]

    def get_progress(self, census) -> dict:
        return census_services.census_progress_get(census.pk) or {}


class CensusUploadRequest(serializers.Serializer):
    file = serializers.FileField(help_text="会员名单 .xlsx 或 .csv（UTF-8 或 GBK），列：姓名、身份证号、手机号码、工作单位、学历、职称、会员等级，可选邮箱")


class MemberListView(generics.ListAPIView):
    """会员名册，筛选条件与控制台相同：默认本组织；subtree=true 含下级；org 不在管辖范围内时 404。
    服务令牌需要 read_members 权限范围。"""

    serializer_class = MemberSerializer
    pagination_class = cursor_ordered_by("-id")
    token_scopes = {"GET": "read_members"}

    def get_queryset(self):
        form = MemberDirectoryForm(self.request.query_params, orgs=orgs_visible_to(self.request.user))
        return member_directory(self.request.user, **filters_or_error(form))

    @extend_schema(
        tags=TAG_MEMBERS,
        summary="会员名册",
        parameters=[
            OpenApiParameter("org", int, description="组织编号（默认为本组织）"),
            OpenApiParameter("subtree", bool, description="含下级组织"),
            OpenApiParameter("status", str, description="会员状态"),
            OpenApiParameter("q", str, description="姓名、手机号码或会员编号"),
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class MemberDetailView(APIView):
    """一名会员（身份证号只显示脱敏值）。服务令牌需要 read_members 权限范围。"""

    token_scopes = {"GET": "read_members"}

    @extend_schema(tags=TAG_MEMBERS, summary="会员详情", responses=MemberSerializer)
    def get(self, request, pk: int):
        membership = membership_visible_or_404(request.user, pk)
        person_access_record(
            viewer=request.user, person_ids=[membership.person_id], org=membership.org,
            what=PersonAccess.What.PROFILE, detail=_("会员详情（接口）"),
        )
        return Response(MemberSerializer(membership).data)


class MemberGradeView(APIView):
    """设置会员等级和类别（记入审计；会士名额不足时返回 rule_violation）。"""

    permission_classes = [IsAuthenticated, AccountOnly]

    @extend_schema(tags=TAG_MEMBERS, summary="设置等级与类别", request=GradeRequest, responses=MemberSerializer)
    def post(self, request, pk: int):
        membership = membership_managed_or_404(request.user, pk)
        form = GradeForm(form_data(request.data))
        if not form.is_valid():
            raise form_invalid(form)
        membership_grade_set(
            actor=request.user, membership=membership, grade=form.cleaned_data["grade"], category=form.cleaned_data["category"]
        )
        return Response(MemberSerializer(membership_visible_or_404(request.user, pk)).data)


class MemberStatusView(APIView):
    """会员失效、退会或恢复有效（按会员状态转换规则，记入审计）。"""

    permission_classes = [IsAuthenticated, AccountOnly]

    @extend_schema(tags=TAG_MEMBERS, summary="变更会员状态", request=StatusRequest, responses=MemberSerializer)
    def post(self, request, pk: int):
        membership = membership_managed_or_404(request.user, pk)
        form = StatusForm(form_data(request.data))
        if not form.is_valid():
            raise form_invalid(form)
        membership_status_set(
            actor=request.user, membership=membership, status=form.cleaned_data["status"], comment=form.cleaned_data["comment"]
        )
        return Response(MemberSerializer(membership_visible_or_404(request.user, pk)).data)


class CensusUploadView(APIView):
    """上传普查名单（multipart/form-data）；后台逐行核对，用 GET /census/{id}/ 查询进度和结果。"""

    permission_classes = [IsAuthenticated, AccountOnly]

    @extend_schema(tags=TAG_CENSUS, summary="上传普查名单", request=CensusUploadRequest, responses={201: CensusSerializer})
    @idempotent
    def post(self, request, org_id: int):
        org = org_managed_or_404(request.user, org_id)
        form = CensusUploadForm(form_data(request.data), request.FILES)
        if not form.is_valid():
            raise form_invalid(form)
        census = census_services.census_import_create(actor=request.user, org=org, file=form.cleaned_data["file"])
        census.refresh_from_db()
        return Response(CensusSerializer(census).data, status=status.HTTP_201_CREATED)


class CensusStatusView(APIView):
    """普查导入的状态：核对进度、有效行数、错误行数和已导入行数。"""

    permission_classes = [IsAuthenticated, AccountOnly]

    @extend_schema(tags=TAG_CENSUS, summary="普查导入状态", responses=CensusSerializer)
    def get(self, request, pk: int):
        return Response(CensusSerializer(census_visible_or_404(request.user, pk)).data)
