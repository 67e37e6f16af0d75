"""Bodies of the organisation endpoints: progress figures, service tokens and webhooks."""

from rest_framework import serializers

from kexie.errors import DomainError
from orgs.models import ServiceToken, WebhookDelivery, WebhookEndpoint
from orgs.services.webhooks import webhook_url_check


class MetricSerializer(serializers.Serializer):
    target = serializers.IntegerField(allow_null=True, help_text="目标值")
    actual = serializers.FloatField(allow_null=True, help_text="实际值")
    ratio = serializers.FloatField(allow_null=True, help_text="完成率（0–1）")
    badge = serializers.CharField(help_text="按全年时间进度的标记：ok 正常 / warn 稍慢 / bad 落后；未设目标为空")


class ProgressRowSerializer(serializers.Serializer):
    org_id = serializers.IntegerField(source="org.pk")
    org_name = serializers.CharField(source="org.name")
    figures = serializers.DictField(
        source="figures.as_dict",
        help_text="含下级的全部统计数字，键与定义见 orgs/figures.py 和公开的统计口径页 /progress/definitions/"
        "（如 received、approved、new_members、existing_registered、fee_collection_rate）；无法计算的比率为 null",
    )
    metrics = serializers.DictField(source="cells", child=MetricSerializer(), help_text="各项目标的完成情况")
    overall = serializers.FloatField(source="score", allow_null=True, help_text="综合完成率（0–1，每项目标最多计 1）")
    rank = serializers.IntegerField(allow_null=True, help_text="在同级中的排名：1 为完成最好，完成率相同名次相同")


class ProgressSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    computed_at = serializers.DateTimeField(allow_null=True, help_text="所示数据中最新的计算时间")
    summary = ProgressRowSerializer(help_text="该组织（含全部下级）")
    children = ProgressRowSerializer(source="rows", many=True, help_text="直接下级组织，落后优先（名次不随排序改变）")
    monthly = serializers.DictField(help_text="已经过去的月份的月度数：received、approved、new_members、existing_registered")


class ServiceTokenSerializer(serializers.ModelSerializer):
    org_name = serializers.CharField(source="org.name", read_only=True)
    created_by = serializers.CharField(source="created_by.__str__", read_only=True)

    class Meta:
        model = ServiceToken
        fields = [
            "id", "org", "org_name", "name", "scopes", "prefix", "created_by", "created_at", "expires_at",
            "revoked_at", "last_used_at",
        ]
        read_only_fields = fields


class ServiceTokenCreateRequest(serializers.Serializer):
    org = serializers.IntegerField(help_text="令牌所属组织（须在您的管辖范围内）；令牌只能访问该组织及其下级")
    name = serializers.CharField(max_length=100, help_text="用途，例如“市统计报表系统”")
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=ServiceToken.Scope.choices),
        help_text="权限范围：read_progress 读取发展进度、read_members 读取会员名册、decide 审核入会申请",
    )
    expires_at = serializers.DateTimeField(help_text="到期时间（最长一年）")


class ServiceTokenCreated(ServiceTokenSerializer):
    secret = serializers.CharField(read_only=True, help_text="令牌（kxs_ 开头），只显示这一次，请立即妥善保存")

    class Meta(ServiceTokenSerializer.Meta):
        fields = ServiceTokenSerializer.Meta.fields + ["secret"]
        read_only_fields = fields


class WebhookEndpointSerializer(serializers.ModelSerializer):
    org_name = serializers.CharField(source="org.name", read_only=True)
    created_by = serializers.CharField(source="created_by.__str__", read_only=True)
    is_active = serializers.BooleanField(read_only=True, help_text="未停用")

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id", "org", "org_name", "url", "description", "events", "secret_prefix", "created_by", "created_at",
            "revoked_at", "is_active",
        ]
        read_only_fields = fields


class WebhookEndpointCreateRequest(serializers.Serializer):
    org = serializers.IntegerField(help_text="端点所属组织（须在您的管辖范围内）；该组织及其全部下级的事件都推送到此地址")
    url = serializers.CharField(max_length=500, help_text="接收地址，必须是 https://；不跟随重定向")
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEndpoint.Event.choices),
        allow_empty=False,
        help_text="推送的事件：application.submitted、application.decided、membership.created、"
        "membership.changed、recommendation.created",
    )
    description = serializers.CharField(max_length=100, required=False, allow_blank=True, default="", help_text="说明")

    def validate_url(self, value: str) -> str:
        try:
            return webhook_url_check(value)
        except DomainError as exc:
            raise serializers.ValidationError(str(exc.message)) from None


class WebhookEndpointCreated(WebhookEndpointSerializer):
    secret = serializers.CharField(read_only=True, help_text="签名密钥（whsec_ 开头），只显示这一次，请立即妥善保存")

    class Meta(WebhookEndpointSerializer.Meta):
        fields = WebhookEndpointSerializer.Meta.fields + ["secret"]
        read_only_fields = fields


class WebhookDeliverySerializer(serializers.ModelSerializer):
    redelivery_of = serializers.UUIDField(
        source="redelivery_of.delivery_id", read_only=True, allow_null=True, help_text="重新投递自哪次投递（投递编号）"
    )

    class Meta:
        model = WebhookDelivery
        fields = [
            "id", "delivery_id", "event_id", "event", "status", "attempts", "created_at", "last_attempt_at",
            "next_attempt_at", "delivered_at", "response_status", "response_body", "error", "redelivery_of", "payload",
        ]
        read_only_fields = fields
