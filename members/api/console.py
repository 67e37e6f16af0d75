"""Administrator endpoints of members: the member directory, one member, member actions (grade, status,
transfer, unit link, fee recording) and the census (upload, status, error report, commit). Scoped by the same
selectors and validated by the same forms as the console pages, written by the same services; out of scope
answers 404."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from kexie.api.errors import ApiError, filters_or_error, form_invalid
from kexie.api.idempotency import idempotent
from kexie.api.pagination import cursor_ordered_by
from kexie.api.parsers import form_data
from kexie.excel import csv_attachment, xlsx_response
from kexie.ratelimit import CENSUS_UPLOADS
from members.forms.census import CensusUploadForm
from members.forms.memberships import (
    FeePaymentForm,
    GradeForm,
    MemberDirectoryForm,
    StatusForm,
    TransferForm,
    UnitLinkForm,
)
from members.models import CensusImport, FeePayment, Membership, PersonAccess, UnitMember
from members.selectors.census import census_error_rows, census_managed_or_404, census_visible_or_404
from members.selectors.directory import member_directory, membership_managed_or_404, membership_visible_or_404
from members.selectors.units import units_managed_by, units_of
from members.services import census as census_services
from members.services.access import person_access_record
from members.services.fees import fee_payment_record
from members.services.memberships import membership_grade_set, membership_status_set, membership_transfer
from members.services.units import membership_unit_link
from orgs.api.permissions import AccountOnly
from orgs.selectors.scope import org_managed_or_404, org_visible_or_404, orgs_managed_by, orgs_visible_to

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
    unit_id = serializers.IntegerField(allow_null=True, help_text="所在团体会员单位的编号（未关联为 null）")

    class Meta:
        model = Membership
        fields = [
            "id", "number", "name", "id_number_masked", "mobile", "employer", "org_id", "org_name", "level",
            "grade", "category", "status", "joined_on", "unit", "unit_id",
        ]


class GradeRequest(serializers.Serializer):
    grade = serializers.ChoiceField(choices=Membership.Grade.choices, help_text="会员等级（会士不超过本组织个人会员的 1%）")
    category = serializers.ChoiceField(choices=Membership.Category.choices, help_text="会员类别")


class StatusRequest(serializers.Serializer):
    status = serializers.ChoiceField(choices=["lapsed", "withdrawn", "active"], help_text="失效 / 退会 / 恢复有效")
    comment = serializers.CharField(required=False, allow_blank=True, help_text="原因")


class TransferRequest(serializers.Serializer):
    target_org = serializers.IntegerField(help_text="转入组织的编号（须在您的管理范围内，且不同于当前组织）")
    comment = serializers.CharField(required=False, allow_blank=True, help_text="说明")


class UnitLinkRequest(serializers.Serializer):
    unit = serializers.IntegerField(
        required=False, allow_null=True, help_text="团体会员单位的编号（须属于您管理的组织）；null 或省略表示取消关联"
    )


class UnitSerializer(serializers.ModelSerializer):
    org_id = serializers.IntegerField()

    class Meta:
        model = UnitMember
        fields = ["id", "org_id", "name", "uscc", "status", "joined_on"]


class FeePaymentRequest(serializers.Serializer):
    year = serializers.IntegerField(help_text="年度（2000–2100），该年度须已设置该类别会员的会费标准")
    kind = serializers.ChoiceField(choices=FeePayment.Kind.choices, help_text="paid 已缴纳（金额为会费标准）/ exempt 免缴")
    paid_on = serializers.DateField(required=False, help_text="缴费日期，默认今天")
    note = serializers.CharField(required=False, allow_blank=True, help_text="备注；登记免缴时必须填写原因")


class FeePaymentSerializer(serializers.ModelSerializer):
    membership_id = serializers.IntegerField()

    class Meta:
        model = FeePayment
        fields = ["id", "membership_id", "year", "kind", "amount", "paid_on", "note", "created_at"]


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


# The error report's two files, as on the console page. Not "format": DRF reads that query parameter itself to
# choose a renderer, and would answer 404 to ?format=csv.
ERROR_REPORT_FORMATS = {"xlsx": "Excel 工作簿", "csv": "CSV（UTF-8，带 BOM）"}


class CensusErrorsQuery(serializers.Serializer):
    file_format = serializers.ChoiceField(
        choices=list(ERROR_REPORT_FORMATS.items()),
        default="xlsx",
        error_messages={"invalid_choice": _l("文件格式只能是 xlsx 或 csv")},
    )


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
        # The page's limit per administrator: each list is checked against every stored ID number.
        if CENSUS_UPLOADS.exceeded(request._request):
            raise ApiError(
                code="rate_limited",
                message=_("短时间内上传的名单过多，请 %(m)d 分钟后再试") % {"m": CENSUS_UPLOADS.window // 60},
                status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            )
        org = org_managed_or_404(request.user, org_id)
        CENSUS_UPLOADS.hit(request._request)
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


class UnitListView(generics.ListAPIView):
    """一个组织的团体会员单位（与控制台“团体会员”页相同），其编号用于关联会员所在单位。服务令牌需要 read_members 权限范围。"""

    serializer_class = UnitSerializer
    pagination_class = cursor_ordered_by("id")
    token_scopes = {"GET": "read_members"}

    def get_queryset(self):
        return units_of(org_visible_or_404(self.request.user, self.kwargs["org_id"]))

    @extend_schema(tags=TAG_MEMBERS, summary="团体会员单位")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class MemberTransferView(APIView):
    """会员转会：转出到您管理范围内的另一组织，原会员资格变为“已转出”，转入组织以自己的编号序列发给新的会员编号
    （与控制台“转会”相同，记入双方审计）。返回转入后的新会员资格。"""

    permission_classes = [IsAuthenticated, AccountOnly]

    @extend_schema(tags=TAG_MEMBERS, summary="转会", request=TransferRequest, responses={201: MemberSerializer})
    @idempotent
    def post(self, request, pk: int):
        membership = membership_managed_or_404(request.user, pk)
        form = TransferForm(form_data(request.data), orgs=orgs_managed_by(request.user))
        if not form.is_valid():
            raise form_invalid(form)
        new = membership_transfer(
            actor=request.user, membership=membership, target_org=form.cleaned_data["target_org"],
            comment=form.cleaned_data["comment"],
        )
        return Response(MemberSerializer(membership_visible_or_404(request.user, new.pk)).data, status=status.HTTP_201_CREATED)


class MemberUnitView(APIView):
    """关联会员所在的团体会员单位，或取消关联（记入审计；已退会的团体会员不能关联）。"""

    permission_classes = [IsAuthenticated, AccountOnly]

    @extend_schema(tags=TAG_MEMBERS, summary="关联团体会员单位", request=UnitLinkRequest, responses=MemberSerializer)
    def post(self, request, pk: int):
        membership = membership_managed_or_404(request.user, pk)
        form = UnitLinkForm(form_data(request.data), units=units_managed_by(request.user))
        if not form.is_valid():
            raise form_invalid(form)
        membership_unit_link(actor=request.user, membership=membership, unit=form.cleaned_data["unit"])
        return Response(MemberSerializer(membership_visible_or_404(request.user, pk)).data)


class MemberFeeView(APIView):
    """登记会员某一年度的会费：已缴纳（金额为本组织该年度该类别的会费标准）或免缴（须写明原因）；每人每年度只登记一次，
    该年度暂不收取会费时无需登记（rule_violation）。"""

    permission_classes = [IsAuthenticated, AccountOnly]

    @extend_schema(tags=TAG_MEMBERS, summary="登记会费", request=FeePaymentRequest, responses={201: FeePaymentSerializer})
    @idempotent
    def post(self, request, pk: int):
        membership = membership_managed_or_404(request.user, pk)
        form = FeePaymentForm(form_data(request.data))
        if not form.is_valid():
            raise form_invalid(form)
        data = form.cleaned_data
        payment = fee_payment_record(
            actor=request.user, membership=membership, year=data["year"], kind=data["kind"], paid_on=data["paid_on"],
            note=data["note"],
        )
        return Response(FeePaymentSerializer(payment).data, status=status.HTTP_201_CREATED)


class CensusCommitView(APIView):
    """确认导入已核对的普查名单：有效行全部列入会员名册（待重新登记），在后台一次完成，用 GET /census/{id}/ 查询进度；
    只有状态为“待确认导入”（validated）且有有效行的名单可以导入，否则 rule_violation。"""

    permission_classes = [IsAuthenticated, AccountOnly]

    @extend_schema(tags=TAG_CENSUS, summary="确认导入普查名单", request=None, responses={202: CensusSerializer})
    @idempotent
    def post(self, request, pk: int):
        census = census_managed_or_404(request.user, pk)
        census_services.census_commit_start(actor=request.user, census=census)
        return Response(
            CensusSerializer(census_visible_or_404(request.user, pk)).data, status=status.HTTP_202_ACCEPTED
        )


class CensusErrorsView(APIView):
    """普查名单的错误报告：与控制台下载的文件相同（行号、姓名、脱敏身份证号、手机号码等及错误说明），记入审计。"""

    permission_classes = [IsAuthenticated, AccountOnly]

    @extend_schema(
        tags=TAG_CENSUS,
        summary="下载普查错误报告",
        parameters=[
            OpenApiParameter("file_format", str, enum=list(ERROR_REPORT_FORMATS), description="文件格式：xlsx（默认）或 csv"),
        ],
        responses={
            (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiResponse(
                OpenApiTypes.BINARY, description="错误报告 Excel 工作簿"
            ),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="错误报告 CSV"),
        },
    )
    def get(self, request, pk: int):
        census = census_visible_or_404(request.user, pk)
        query = CensusErrorsQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        fmt = query.validated_data["file_format"]
        content = census_services.census_errors_export(
            actor=request.user, census=census, error_rows=census_error_rows(census), fmt=fmt
        )
        filename = f"{census.org.name}-普查错误报告-{census.pk}.{fmt}"
        return csv_attachment(filename, content) if fmt == "csv" else xlsx_response(filename, content)
