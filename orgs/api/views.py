"""Organisation endpoints: progress figures of a subtree (from the stored snapshots, as the dashboard) and
the service tokens an administrator gives other systems."""

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from kexie.api.idempotency import idempotent
from kexie.api.pagination import cursor_ordered_by
from orgs.api import serializers as s
from orgs.api.permissions import AccountOnly
from orgs.selectors.progress import progress_dashboard
from orgs.selectors.scope import org_managed_or_404
from orgs.selectors.service_tokens import service_token_managed_or_404, service_tokens_managed_by
from orgs.services.service_tokens import service_token_create, service_token_revoke

TAG_PROGRESS = ["管理员：发展进度"]
TAG_TOKENS = ["管理员：服务令牌"]


class ProgressView(APIView):
    """一个组织（含全部下级）及其直接下级的年度发展进度：计数、目标、完成率和排名，只含汇总数字。
    服务令牌需要 read_progress 权限范围。"""

    token_scopes = {"GET": "read_progress"}

    @extend_schema(
        tags=TAG_PROGRESS,
        summary="发展进度",
        responses=s.ProgressSerializer,
        parameters=[OpenApiParameter("year", int, description="年度（默认今年）")],
    )
    def get(self, request, org_id: int):
        try:
            year = int(request.query_params.get("year") or timezone.localdate().year)
        except ValueError:
            year = timezone.localdate().year
        dashboard = progress_dashboard(request.user, year=year, org_id=org_id)
        return Response(s.ProgressSerializer(dashboard).data)


class ServiceTokenListView(generics.ListAPIView):
    """本辖区的服务令牌（GET）；为本辖区内的一个组织创建服务令牌（POST，令牌只显示一次）。"""

    permission_classes = [IsAuthenticated, AccountOnly]
    serializer_class = s.ServiceTokenSerializer
    pagination_class = cursor_ordered_by("-created_at", "-id")

    def get_queryset(self):
        return service_tokens_managed_by(self.request.user)

    @extend_schema(tags=TAG_TOKENS, summary="服务令牌列表")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(tags=TAG_TOKENS, summary="创建服务令牌", request=s.ServiceTokenCreateRequest, responses={201: s.ServiceTokenCreated})
    @idempotent
    def post(self, request):
        body = s.ServiceTokenCreateRequest(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        org = org_managed_or_404(request.user, data["org"])
        token, secret = service_token_create(
            actor=request.user, org=org, name=data["name"], scopes=data["scopes"], expires_at=data["expires_at"]
        )
        token.secret = secret
        return Response(s.ServiceTokenCreated(token).data, status=status.HTTP_201_CREATED)


class ServiceTokenRevokeView(APIView):
    """吊销服务令牌，立即生效，记入审计。"""

    permission_classes = [IsAuthenticated, AccountOnly]

    @extend_schema(tags=TAG_TOKENS, summary="吊销服务令牌", request=None, responses=s.ServiceTokenSerializer)
    def post(self, request, pk: int):
        token = service_token_revoke(actor=request.user, token=service_token_managed_or_404(request.user, pk))
        return Response(s.ServiceTokenSerializer(token).data)
