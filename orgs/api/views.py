"""Organisation endpoints: progress figures of a subtree (from the stored snapshots, as the dashboard), the
service tokens an administrator gives other systems and the webhooks that push events to them."""

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
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
from orgs.selectors.webhooks import (
    webhook_deliveries_of,
    webhook_delivery_managed_or_404,
    webhook_endpoint_managed_or_404,
    webhook_endpoints_managed_by,
)
from orgs.services.service_tokens import service_token_create, service_token_revoke
from orgs.services.webhooks import webhook_delivery_redeliver, webhook_endpoint_create, webhook_endpoint_revoke

TAG_PROGRESS = ["管理员：发展进度"]
TAG_TOKENS = ["管理员：服务令牌"]
TAG_WEBHOOKS = ["管理员：Webhook 推送"]


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


class IssuedForOrgListView(generics.ListAPIView):
    """Credentials an administrator issues for an organisation of their subtree (service tokens, webhook
    endpoints): GET lists those of the subtree; POST issues one, whose secret is in that response only."""

    permission_classes = [IsAuthenticated, AccountOnly]
    pagination_class = cursor_ordered_by("-created_at", "-id")
    create_request: type = None
    created_serializer: type = None

    def issue(self, *, actor, org, data: dict) -> tuple[object, str]:
        raise NotImplementedError

    @idempotent
    def post(self, request):
        body = self.create_request(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        org = org_managed_or_404(request.user, data.pop("org"))
        issued, secret = self.issue(actor=request.user, org=org, data=data)
        issued.secret = secret
        return Response(self.created_serializer(issued).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(tags=TAG_TOKENS, summary="服务令牌列表"),
    post=extend_schema(
        tags=TAG_TOKENS, summary="创建服务令牌", request=s.ServiceTokenCreateRequest, responses={201: s.ServiceTokenCreated}
    ),
)
class ServiceTokenListView(IssuedForOrgListView):
    """本辖区的服务令牌（GET）；为本辖区内的一个组织创建服务令牌（POST，令牌只显示一次）。"""

    serializer_class = s.ServiceTokenSerializer
    create_request = s.ServiceTokenCreateRequest
    created_serializer = s.ServiceTokenCreated

    def get_queryset(self):
        return service_tokens_managed_by(self.request.user)

    def issue(self, *, actor, org, data):
        return service_token_create(actor=actor, org=org, **data)


class ServiceTokenRevokeView(APIView):
    """吊销服务令牌，立即生效，记入审计。"""

    permission_classes = [IsAuthenticated, AccountOnly]

    @extend_schema(tags=TAG_TOKENS, summary="吊销服务令牌", request=None, responses=s.ServiceTokenSerializer)
    def post(self, request, pk: int):
        token = service_token_revoke(actor=request.user, token=service_token_managed_or_404(request.user, pk))
        return Response(s.ServiceTokenSerializer(token).data)


@extend_schema_view(
    get=extend_schema(tags=TAG_WEBHOOKS, summary="Webhook 端点列表"),
    post=extend_schema(
        tags=TAG_WEBHOOKS, summary="注册 Webhook 端点", request=s.WebhookEndpointCreateRequest,
        responses={201: s.WebhookEndpointCreated},
    ),
)
class WebhookListView(IssuedForOrgListView):
    """本辖区的 Webhook 推送端点（GET）；为本辖区内的一个组织注册端点（POST，签名密钥只显示一次）。"""

    serializer_class = s.WebhookEndpointSerializer
    create_request = s.WebhookEndpointCreateRequest
    created_serializer = s.WebhookEndpointCreated

    def get_queryset(self):
        return webhook_endpoints_managed_by(self.request.user)

    def issue(self, *, actor, org, data):
        return webhook_endpoint_create(actor=actor, org=org, **data)


class WebhookRevokeView(APIView):
    """停用 Webhook 端点：不再推送，等待中的投递取消；不能恢复，记入审计。"""

    permission_classes = [IsAuthenticated, AccountOnly]

    @extend_schema(tags=TAG_WEBHOOKS, summary="停用 Webhook 端点", request=None, responses=s.WebhookEndpointSerializer)
    def post(self, request, pk: int):
        endpoint = webhook_endpoint_revoke(actor=request.user, endpoint=webhook_endpoint_managed_or_404(request.user, pk))
        return Response(s.WebhookEndpointSerializer(endpoint).data)


class WebhookDeliveryListView(generics.ListAPIView):
    """一个端点的投递记录（最新在前）：状态、投递次数、下次重试时间、最近一次响应的状态码和内容节选。"""

    permission_classes = [IsAuthenticated, AccountOnly]
    serializer_class = s.WebhookDeliverySerializer
    pagination_class = cursor_ordered_by("-created_at", "-id")

    def get_queryset(self):
        return webhook_deliveries_of(webhook_endpoint_managed_or_404(self.request.user, self.kwargs["pk"]))

    @extend_schema(tags=TAG_WEBHOOKS, summary="Webhook 投递记录")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class WebhookRedeliverView(APIView):
    """重新投递：同一事件（内容与事件编号不变）以新的投递编号再次推送，重新计算 24 小时重试期，记入审计。"""

    permission_classes = [IsAuthenticated, AccountOnly]

    @extend_schema(tags=TAG_WEBHOOKS, summary="重新投递", request=None, responses={202: s.WebhookDeliverySerializer})
    def post(self, request, pk: int):
        delivery = webhook_delivery_redeliver(actor=request.user, delivery=webhook_delivery_managed_or_404(request.user, pk))
        return Response(s.WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
