"""Request and response bodies of the applicant's own endpoints. Requests are validated by the same forms
as the pages (members.forms.people); these serializers describe them in the OpenAPI document and shape
the responses. No response carries a full ID number: only `id_number_masked`."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from members.models import Award, Membership, Notice, Person
from members.services.people import profile_missing_fields


class RegistrationRequest(serializers.Serializer):
    mobile = serializers.CharField(help_text="中国大陆手机号码，注册后作为登录用户名")
    password = serializers.CharField(help_text="至少 8 位，不能全是数字，不能过于常见", style={"input_type": "password"})
    password_confirm = serializers.CharField(help_text="再次输入密码")
    email = serializers.EmailField(required=False, allow_blank=True, help_text="选填；审核结果也会发送到邮箱")
    sms_code = serializers.CharField(help_text="发送到该手机号码的 6 位短信验证码（先调用 auth/sms-code/，用途 register）")


class SmsCodeRequest(serializers.Serializer):
    mobile = serializers.CharField(help_text="中国大陆手机号码")
    purpose = serializers.ChoiceField(
        choices=[("register", "注册账号"), ("password_reset", "找回密码")], help_text="register：注册；password_reset：找回密码"
    )


class SmsCodeSent(serializers.Serializer):
    expires_in = serializers.IntegerField(help_text="验证码有效秒数")
    resend_after = serializers.IntegerField(help_text="多少秒后才能再次获取")


class PasswordResetRequest(serializers.Serializer):
    account = serializers.CharField(help_text="注册时的手机号码，或已验证的电子邮箱")
    code = serializers.CharField(help_text="发送到该号码或邮箱的 6 位验证码（auth/sms-code/，用途 password_reset）")
    new_password1 = serializers.CharField(help_text="新密码", style={"input_type": "password"})
    new_password2 = serializers.CharField(help_text="再次输入新密码", style={"input_type": "password"})


class LoginRequest(serializers.Serializer):
    mobile = serializers.CharField(help_text="注册时的手机号码")
    password = serializers.CharField(required=False, help_text="密码", style={"input_type": "password"})
    sms_code = serializers.CharField(
        required=False, help_text="短信验证码（auth/sms-code/，用途 login）：代替密码登录，仅限申请人账号"
    )
    login_check = serializers.CharField(
        required=False,
        help_text="同一账号失败次数过多后必填：解出错误响应 challenge 中的工作量证明（ALTCHA，SHA-256），"
        "以 base64 编码的 JSON 提交",
    )


class RefreshRequest(serializers.Serializer):
    refresh_token = serializers.CharField(help_text="登录或上次刷新时得到的刷新令牌（kxr_ 开头），使用后即失效")


class TokenPair(serializers.Serializer):
    access_token = serializers.CharField(help_text="访问令牌（kxa_ 开头），放在 Authorization: Bearer 头中")
    access_expires_at = serializers.DateTimeField(help_text="访问令牌到期时间")
    refresh_token = serializers.CharField(help_text="刷新令牌（kxr_ 开头），只显示这一次")
    refresh_expires_at = serializers.DateTimeField(help_text="刷新令牌到期时间")


class ConsentState(serializers.Serializer):
    given = serializers.BooleanField(help_text="是否已同意当前版本的个人信息授权说明")
    version = serializers.CharField(help_text="当前授权说明版本")
    given_at = serializers.DateTimeField(allow_null=True, help_text="同意时间")


class ProfileRequest(serializers.Serializer):
    name = serializers.CharField(help_text="姓名")
    gender = serializers.ChoiceField(choices=Person.Gender.choices, help_text="性别")
    birth_date = serializers.DateField(help_text="出生日期，须与身份证号码一致")
    id_number = serializers.CharField(
        required=False,
        write_only=True,
        help_text="身份证号码（18 位），须先同意授权说明；只写不读，已保存时留空表示不变",
    )
    mobile = serializers.CharField(help_text="手机号码")
    email = serializers.EmailField(required=False, allow_blank=True)
    employer = serializers.CharField(help_text="工作单位全称")
    discipline = serializers.CharField(help_text="学科专业")
    education = serializers.ChoiceField(choices=Person.Education.choices, help_text="最高学历")
    title = serializers.ChoiceField(choices=Person.Title.choices, help_text="专业技术职称")
    is_rural_expert = serializers.BooleanField(required=False, help_text="农村技术能手")
    is_popsci_leader = serializers.BooleanField(required=False, help_text="科普带头人")


class ProfileSerializer(serializers.ModelSerializer):
    id_number_masked = serializers.CharField(read_only=True, help_text="脱敏身份证号，如 130102********123X")
    missing_fields = serializers.SerializerMethodField(help_text="申请入会前还需填写的资料")

    class Meta:
        model = Person
        fields = [
            "name", "gender", "birth_date", "id_number_masked", "mobile", "email", "employer", "discipline",
            "education", "title", "is_rural_expert", "is_popsci_leader", "missing_fields",
        ]

    def get_missing_fields(self, person) -> list[str]:
        return profile_missing_fields(person)


class AwardRequest(serializers.Serializer):
    name = serializers.CharField(help_text="奖项或荣誉名称")
    level = serializers.ChoiceField(choices=Award._meta.get_field("level").choices, help_text="级别")
    year = serializers.IntegerField(help_text="获得年份（1949 年至今）")
    issuer = serializers.CharField(required=False, allow_blank=True, help_text="授予单位")
    evidence = serializers.FileField(required=False, help_text="证明材料：PDF、JPG 或 PNG，不超过 5 MB（multipart/form-data）")
    remove_evidence = serializers.BooleanField(required=False, help_text="删除已上传的证明材料（仅修改时）")


class AwardSerializer(serializers.ModelSerializer):
    has_evidence = serializers.SerializerMethodField(help_text="是否已上传证明材料")

    class Meta:
        model = Award
        fields = ["id", "name", "level", "year", "issuer", "has_evidence"]

    def get_has_evidence(self, award) -> bool:
        return bool(award.evidence)


class NoticeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notice
        fields = ["id", "title", "body", "link", "created_at", "read_at"]


class NoticeReadRequest(serializers.Serializer):
    notice = serializers.IntegerField(required=False, help_text="要标为已读的通知编号；不填则全部标为已读")


class NoticeReadResult(serializers.Serializer):
    marked = serializers.IntegerField(help_text="标为已读的条数")


class OrgBrief(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(help_text="组织名称")
    level = serializers.CharField(help_text="级别：province 省级 / city 市级 / county 县级")


class MembershipSerializer(serializers.ModelSerializer):
    org = OrgBrief(read_only=True)
    certificate_url = serializers.SerializerMethodField(help_text="会员证 PDF 下载地址（仅有会员编号时）")

    class Meta:
        model = Membership
        fields = ["id", "org", "level", "number", "grade", "category", "status", "joined_on", "certificate_url"]

    def get_certificate_url(self, membership) -> str | None:
        if not membership.number:
            return None
        return f"/api/v1/me/memberships/{membership.pk}/certificate/"


class Message(serializers.Serializer):
    message = serializers.CharField(help_text=_("结果说明"))
