"""Bodies of the organisation endpoints: progress figures and service tokens."""

from rest_framework import serializers

from orgs.models import ServiceToken


class MetricSerializer(serializers.Serializer):
    target = serializers.IntegerField(allow_null=True, help_text="目标值")
    actual = serializers.FloatField(allow_null=True, help_text="实际值")
    ratio = serializers.FloatField(allow_null=True, help_text="完成率（0–1）")
    badge = serializers.CharField(help_text="按全年时间进度的标记：green 正常 / yellow 稍慢 / red 落后")


class ProgressRowSerializer(serializers.Serializer):
    org_id = serializers.IntegerField(source="org.pk")
    org_name = serializers.CharField(source="org.name")
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="含下级的计数：received、approved、rejected、recommendations_made 等")
    metrics = serializers.DictField(source="cells", child=MetricSerializer(), help_text="各项目标的完成情况")
    rank = serializers.IntegerField(allow_null=True, help_text="在同级中的完成率排名")


class ProgressSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    computed_at = serializers.DateTimeField(allow_null=True, help_text="统计时间（快照计算时间）")
    summary = ProgressRowSerializer(help_text="该组织（含全部下级）")
    children = ProgressRowSerializer(source="rows", many=True, help_text="直接下级组织，按完成率从低到高")
    monthly = serializers.DictField(help_text="月度计数")


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
