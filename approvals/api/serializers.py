"""Bodies of the application endpoints (applicant and review). Requests are validated by the same forms as
the pages (approvals.forms); these serializers describe them and shape the responses. Persons appear with
their masked ID number only."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from approvals.models import Application, Recommendation
from members.api.serializers import AwardSerializer
from members.models import Person
from orgs.models import Org


class OrgSerializer(serializers.ModelSerializer):
    parent_id = serializers.IntegerField(read_only=True, allow_null=True, help_text="上级组织编号")
    has_children = serializers.SerializerMethodField(help_text="是否有下级组织")

    class Meta:
        model = Org
        fields = ["id", "name", "code", "kind", "level", "parent_id", "is_active", "has_children"]

    def get_has_children(self, org) -> bool:
        return not org.is_leaf_node()


class OrgTree(serializers.Serializer):
    parent = OrgSerializer(allow_null=True, help_text="当前组织；不带 parent 参数时为 null（顶层）")
    ancestors = OrgSerializer(many=True, help_text="从顶层到当前组织的上级组织")
    children = OrgSerializer(many=True, help_text="当前组织的下级组织（按层级顺序）")


class CriterionSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="条件代码：education_or_title 或 award")
    label = serializers.CharField(help_text="条件名称")
    requirement = serializers.CharField(help_text="该级别的要求")
    actual = serializers.CharField(help_text="本人情况")
    met = serializers.BooleanField(help_text="是否符合")
    exempt = serializers.BooleanField(help_text="是否因农村技术能手或科普带头人身份免除学历和职称要求")


class EligibilitySerializer(serializers.Serializer):
    org = OrgSerializer()
    criteria = CriterionSerializer(many=True)
    all_met = serializers.BooleanField(help_text="是否全部符合（不符合也可提交，须填写说明）")
    missing_fields = serializers.ListField(child=serializers.CharField(), help_text="提交前还需填写的个人资料")
    consent_given = serializers.BooleanField(help_text="是否已同意个人信息授权说明（提交申请的前提）")


class ApplyRequest(serializers.Serializer):
    org = serializers.IntegerField(help_text="申请加入的组织编号（本人单位所在的科协或所属的市级学会）")
    explanation = serializers.CharField(required=False, allow_blank=True, help_text="申请人说明（不完全符合条件时请说明）")
    declaration = serializers.BooleanField(help_text="已阅读并同意入会声明（必须为 true）")


class ResubmitRequest(serializers.Serializer):
    explanation = serializers.CharField(required=False, allow_blank=True, help_text="修改后的申请人说明")


class TimelineEntry(serializers.Serializer):
    kind = serializers.CharField(
        help_text="submitted / resubmitted / withdrawn / returned / rejected / approved / recommended_here / "
        "recommended_to / there_*（上级组织对推荐的处理）"
    )
    at = serializers.DateTimeField()
    org = serializers.CharField(source="org.name", help_text="办理组织")
    comment = serializers.CharField(help_text="退回或不予通过的意见")
    member_number = serializers.CharField(help_text="批准时的会员编号")
    from_org = serializers.CharField(source="from_org.name", allow_null=True, default=None, help_text="推荐组织")


class RecommendationSerializer(serializers.ModelSerializer):
    from_org = serializers.CharField(source="from_org.name", help_text="推荐组织")
    to_org = serializers.CharField(source="to_org.name", help_text="被推荐至的组织")
    recommended_by = serializers.CharField(source="recommended_by.__str__", allow_null=True, help_text="推荐人")

    class Meta:
        model = Recommendation
        fields = ["id", "from_org", "to_org", "opinion", "recommended_by", "created_at"]


class MyApplicationSerializer(serializers.ModelSerializer):
    org = OrgSerializer()
    recommended_by_org = serializers.CharField(
        source="recommendation.from_org.name", allow_null=True, default=None, help_text="推荐组织（组织推荐时）"
    )

    class Meta:
        model = Application
        fields = [
            "id", "org", "status", "meets_criteria", "explanation", "submitted_at", "decided_at",
            "decision_comment", "recommended_by_org",
        ]


class MyApplicationDetailSerializer(MyApplicationSerializer):
    eligibility = CriterionSerializer(many=True, help_text="提交时的会员条件核对")
    timeline = serializers.SerializerMethodField(help_text="办理进度")

    class Meta(MyApplicationSerializer.Meta):
        fields = MyApplicationSerializer.Meta.fields + ["eligibility", "timeline"]

    @extend_schema_field(TimelineEntry(many=True))
    def get_timeline(self, application):
        return TimelineEntry(self.context["timeline"], many=True).data


# --- review ----------------------------------------------------------------------------------------------


class PersonSerializer(serializers.ModelSerializer):
    id_number_masked = serializers.CharField(help_text="脱敏身份证号")

    class Meta:
        model = Person
        fields = [
            "id", "name", "gender", "birth_date", "id_number_masked", "mobile", "email", "employer", "discipline",
            "education", "title", "is_rural_expert", "is_popsci_leader",
        ]


class ReviewApplicationSerializer(serializers.ModelSerializer):
    org = OrgSerializer()
    person_name = serializers.CharField(source="person.name")
    id_number_masked = serializers.CharField(source="person.id_number_masked", help_text="脱敏身份证号")
    recommendation = RecommendationSerializer(allow_null=True)
    decided_by = serializers.CharField(source="decided_by.__str__", allow_null=True, default=None)

    class Meta:
        model = Application
        fields = [
            "id", "org", "person_name", "id_number_masked", "status", "meets_criteria", "submitted_at",
            "decided_at", "decided_by", "decision_comment", "recommendation",
        ]


class HistoryEntry(serializers.Serializer):
    action = serializers.CharField(help_text="操作代码，如 application.submit、application.approve")
    at = serializers.DateTimeField()
    actor = serializers.CharField(source="actor.__str__", allow_null=True, default=None)
    comment = serializers.CharField()


class ReviewApplicationDetailSerializer(ReviewApplicationSerializer):
    person = PersonSerializer()
    awards = AwardSerializer(source="person.awards", many=True)
    eligibility = CriterionSerializer(many=True)
    explanation = serializers.CharField()
    override_reason = serializers.CharField()
    member_number = serializers.SerializerMethodField(help_text="批准后的会员编号")
    history = serializers.SerializerMethodField(help_text="完整办理记录")
    can_decide = serializers.SerializerMethodField(help_text="当前用户能否审核")
    can_recommend = serializers.SerializerMethodField(help_text="当前用户能否推荐至上级")

    class Meta(ReviewApplicationSerializer.Meta):
        fields = ReviewApplicationSerializer.Meta.fields + [
            "person", "awards", "eligibility", "explanation", "override_reason", "member_number", "history",
            "can_decide", "can_recommend",
        ]

    def get_member_number(self, application) -> str | None:
        membership = self.context.get("membership")
        return membership.number if membership else None

    @extend_schema_field(HistoryEntry(many=True))
    def get_history(self, application):
        return HistoryEntry(self.context["history"], many=True).data

    def get_can_decide(self, application) -> bool:
        return self.context["can_decide"]

    def get_can_recommend(self, application) -> bool:
        return self.context["can_recommend"]


class DecisionRequest(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approve", "return", "reject"], help_text="批准 / 退回修改 / 不予通过")
    comment = serializers.CharField(required=False, allow_blank=True, help_text="审核意见；退回修改和不予通过时必填")
    override_reason = serializers.CharField(
        required=False, allow_blank=True, help_text="申请人不完全符合会员条件而批准时必填的理由"
    )


class DecisionResult(serializers.Serializer):
    application = ReviewApplicationSerializer()
    member_number = serializers.CharField(allow_null=True, help_text="批准时发放的会员编号")


class BatchApproveRequest(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(), help_text="要批准的申请编号（须全部在本辖区内）")
    comment = serializers.CharField(required=False, allow_blank=True, help_text="审核意见")


class BatchApproveResult(serializers.Serializer):
    approved = serializers.IntegerField(help_text="批准的条数")
    errors = serializers.ListField(child=serializers.CharField(), help_text="未批准的申请及原因")


class RecommendRequest(serializers.Serializer):
    opinion = serializers.CharField(help_text="推荐意见：主要业绩、专业特长及在本组织的表现")


class RecommendationResult(RecommendationSerializer):
    application_id = serializers.SerializerMethodField(help_text="上级组织收到的申请编号")

    class Meta(RecommendationSerializer.Meta):
        fields = RecommendationSerializer.Meta.fields + ["application_id"]

    def get_application_id(self, recommendation) -> int:
        return recommendation.application.pk
