"""The applicant's own endpoints: account and tokens, consent, profile, awards, notices, memberships and the
certificate. Every object comes from the signed-in user's own person (members.selectors.people), so another
person's id answers 404, as on the pages."""

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from kexie.api.errors import ApiError, form_invalid
from kexie.api.idempotency import idempotent
from kexie.api.pagination import cursor_ordered_by
from kexie.downloads import file_download
from kexie.errors import DomainError
from kexie.login_challenge import FIELD as LOGIN_CHECK
from kexie.login_challenge import (
    login_challenge_issue,
    login_challenge_passed,
    login_challenge_required,
    login_failure_record,
)
from kexie.ratelimit import LOGIN_FAILURES, REGISTRATION
from kexie.site import site_url
from kexie.validators import validate_mobile
from members.api import serializers as s
from members.forms.people import AwardForm, PasswordResetForm, ProfileForm, RegistrationForm
from members.models import ApiSession
from members.selectors.certificates import membership_of_user_or_404
from members.selectors.people import award_of_or_404, awards_of, memberships_of, notices_for, person_for
from members.services import api_sessions, awards, consent as consent_services, password_recovery, people
from members.services.certificates import certificate_render
from members.services.notices import notices_mark_read
from orgs.api.permissions import AccountOnly

User = get_user_model()
ACCOUNT = [IsAuthenticated, AccountOnly]
TAG_ACCOUNT = ["申请人：账号与令牌"]
TAG_ME = ["申请人：个人资料"]


class SmsCodeView(APIView):
    """获取短信验证码（用途：register 注册、password_reset 找回密码、login 验证码登录）。5 分钟内有效，60 秒后才能重新获取；
    同一号码、同一 IP 另有每小时和每天的上限。找回密码和验证码登录时，无论号码是否注册，回答都相同；
    管理员账号不能用短信验证码登录。"""

    permission_classes = [AllowAny]

    @extend_schema(tags=TAG_ACCOUNT, request=s.SmsCodeRequest, responses={202: s.SmsCodeSent}, summary="获取短信验证码")
    def post(self, request):
        mobile, purpose = str(request.data.get("mobile", "")), str(request.data.get("purpose", ""))
        if purpose == "register":
            people.registration_code_send(mobile=mobile)
        elif purpose == "password_reset":
            password_recovery.password_reset_code_send(account=validate_mobile(mobile))
        elif purpose == "login":
            people.login_code_send(mobile=mobile)
        else:
            raise ApiError(code="validation_error", message=_("用途只能是 register、password_reset 或 login"))
        body = {
            "expires_in": int(settings.VERIFICATION_CODE_LIFETIME.total_seconds()),
            "resend_after": settings.VERIFICATION_CODE_RESEND_SECONDS,
        }
        return Response(s.SmsCodeSent(body).data, status=status.HTTP_202_ACCEPTED)


class PasswordResetView(APIView):
    """找回密码：用发到手机号码（或已验证邮箱）的验证码设置新密码。该账号其他已登录的会话随即失效。"""

    permission_classes = [AllowAny]

    @extend_schema(tags=TAG_ACCOUNT, request=s.PasswordResetRequest, responses={204: None}, summary="找回密码")
    def post(self, request):
        form = PasswordResetForm(request.data)
        if not form.is_valid():
            raise form_invalid(form)
        try:
            password_recovery.user_password_reset(
                account=form.cleaned_data["account"],
                code=form.cleaned_data["code"],
                new_password=form.cleaned_data["new_password1"],
            )
        except ValidationError as exc:
            raise ApiError(code="validation_error", message="；".join(exc.messages))
        return Response(status=status.HTTP_204_NO_CONTENT)


class RegisterView(APIView):
    """注册申请人账号（手机号码 + 短信验证码 + 密码），成功后直接返回一对令牌。"""

    permission_classes = [AllowAny]

    @extend_schema(tags=TAG_ACCOUNT, request=s.RegistrationRequest, responses={201: s.TokenPair}, summary="注册")
    @idempotent
    def post(self, request):
        if REGISTRATION.exceeded(request._request):
            raise ApiError(code="rate_limited", message=_("注册过于频繁，请稍后再试"), status_code=429)
        REGISTRATION.hit(request._request)
        fields = ("mobile", "password", "password_confirm", "email")
        form = RegistrationForm({**{f: request.data.get(f, "") for f in fields}, "code": request.data.get("sms_code", "")})
        if not form.is_valid():
            raise form_invalid(form)
        try:
            user = people.user_register(
                mobile=form.cleaned_data["mobile"],
                password=form.cleaned_data["password"],
                email=form.cleaned_data["email"],
                code=form.cleaned_data["code"],
            )
        except ValidationError as exc:
            raise ApiError(code="validation_error", message="；".join(exc.messages))
        _session, tokens = api_sessions.api_session_open(user=user)
        return Response(s.TokenPair(tokens).data, status=status.HTTP_201_CREATED)


class TokenView(APIView):
    """用手机号码和密码（或短信验证码，用途 login，仅限申请人账号）换取访问令牌（15 分钟）和刷新令牌（30 天）。
    密码连续失败会被锁定，与网页登录相同；验证码错误次数另有上限。"""

    permission_classes = [AllowAny]

    @extend_schema(tags=TAG_ACCOUNT, request=s.LoginRequest, responses={201: s.TokenPair}, summary="登录取得令牌")
    @idempotent
    def post(self, request):
        if LOGIN_FAILURES.exceeded(request._request):
            raise ApiError(code="rate_limited", message=_("登录失败次数过多，请稍后再试"), status_code=429)
        sms_code = str(request.data.get("sms_code", ""))
        if sms_code:
            try:
                user = people.user_for_login_code(mobile=str(request.data.get("mobile", "")), code=sms_code)
            except (DomainError, ValidationError) as exc:
                LOGIN_FAILURES.hit(request._request)
                message = exc.message if isinstance(exc, DomainError) else "；".join(exc.messages)
                raise ApiError(code="authentication_failed", message=message, status_code=status.HTTP_401_UNAUTHORIZED)
            _session, tokens = api_sessions.api_session_open(user=user)
            return Response(s.TokenPair(tokens).data, status=status.HTTP_201_CREATED)
        try:
            mobile = validate_mobile(str(request.data.get("mobile", "")))
        except ValidationError:
            mobile = ""
        password = str(request.data.get("password", ""))
        # Applicants' username is their mobile; an administrator with a mobile number signs in by it too.
        username = User.objects.filter(mobile=mobile).values_list("username", flat=True).first() if mobile else None
        subject = username or mobile
        # The per-username ceiling of the login page holds here too: past it, each attempt carries a solved
        # proof-of-work challenge (kexie/login_challenge.py), which the error response hands out.
        if subject and login_challenge_required(username=subject):
            if not login_challenge_passed(username=subject, payload=str(request.data.get(LOGIN_CHECK, ""))):
                raise ApiError(
                    code="login_challenge_required",
                    message=_("该账号登录失败次数较多，请先完成验证后再登录"),
                    status_code=status.HTTP_401_UNAUTHORIZED,
                    extra={"challenge": login_challenge_issue(username=subject)},
                )
        # Through Django's authenticate, so django-axes counts and locks out failures as for the login page.
        user = authenticate(request._request, username=username, password=password) if username and password else None
        if user is None:
            LOGIN_FAILURES.hit(request._request)
            if subject:
                login_failure_record(username=subject)
            raise ApiError(
                code="authentication_failed", message=_("手机号码或密码不正确"), status_code=status.HTTP_401_UNAUTHORIZED
            )
        _session, tokens = api_sessions.api_session_open(user=user)
        return Response(s.TokenPair(tokens).data, status=status.HTTP_201_CREATED)


class TokenRefreshView(APIView):
    """用刷新令牌换取新的一对令牌；旧的访问令牌和刷新令牌随即失效。"""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(tags=TAG_ACCOUNT, request=s.RefreshRequest, responses={200: s.TokenPair}, summary="刷新令牌")
    def post(self, request):
        _session, tokens = api_sessions.api_session_refresh(refresh_token=str(request.data.get("refresh_token", "")))
        return Response(s.TokenPair(tokens).data)


class TokenRevokeView(APIView):
    """退出登录：吊销当前访问令牌所属的登录（访问令牌和刷新令牌都失效）。"""

    permission_classes = ACCOUNT

    @extend_schema(tags=TAG_ACCOUNT, request=None, responses={204: None}, summary="吊销令牌（退出登录）")
    def post(self, request):
        if not isinstance(request.auth, ApiSession):
            raise ApiError(code="rule_violation", message=_("只有用访问令牌登录时才能吊销令牌"))
        api_sessions.api_session_revoke(session=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ConsentView(APIView):
    """个人信息授权：查看是否已同意当前版本的授权说明（GET），同意（POST）。同意后才能填写身份证号码。"""

    permission_classes = ACCOUNT

    def _state(self, user):
        live = consent_services.consent_live(user)
        return {"given": live is not None, "version": consent_services.CONSENT_VERSION, "given_at": getattr(live, "given_at", None)}

    @extend_schema(tags=TAG_ME, responses=s.ConsentState, summary="授权状态")
    def get(self, request):
        return Response(s.ConsentState(self._state(request.user)).data)

    @extend_schema(tags=TAG_ME, request=None, responses={201: s.ConsentState}, summary="同意授权")
    @idempotent
    def post(self, request):
        consent_services.consent_give(user=request.user)
        return Response(s.ConsentState(self._state(request.user)).data, status=status.HTTP_201_CREATED)


class ConsentWithdrawView(APIView):
    """撤回授权。有正在审核或退回修改的申请时须先撤回申请。"""

    permission_classes = ACCOUNT

    @extend_schema(tags=TAG_ME, request=None, responses=s.ConsentState, summary="撤回授权")
    def post(self, request):
        consent_services.consent_withdraw(user=request.user)
        return Response(s.ConsentState(ConsentView()._state(request.user)).data)


class ProfileView(APIView):
    """本人资料：读取（GET）或保存（PUT）。身份证号码只写不读，响应中只有脱敏值。"""

    permission_classes = ACCOUNT

    @extend_schema(tags=TAG_ME, responses=s.ProfileSerializer, summary="读取个人资料")
    def get(self, request):
        person = person_for(request.user)
        if person is None:
            raise ApiError(code="not_found", message=_("尚未填写个人资料"), status_code=404)
        return Response(s.ProfileSerializer(person).data)

    @extend_schema(tags=TAG_ME, request=s.ProfileRequest, responses=s.ProfileSerializer, summary="保存个人资料")
    def put(self, request):
        person = person_for(request.user)
        form = ProfileForm(
            request.data,
            instance=person,
            id_number_allowed=consent_services.consent_live(request.user) is not None,
            has_id_number=bool(person and person.id_number_index),
        )
        if not form.is_valid():
            raise form_invalid(form)
        try:
            person = people.person_profile_save(
                user=request.user, id_number=form.cleaned_data.get("id_number") or None, **form.profile_fields()
            )
        except ValidationError as exc:
            raise ApiError(code="validation_error", message="；".join(exc.messages))
        return Response(s.ProfileSerializer(person).data)


class AwardListView(APIView):
    """本人的奖励与荣誉：列表（GET），新增（POST，multipart/form-data 可附证明材料）。"""

    permission_classes = ACCOUNT

    @extend_schema(tags=TAG_ME, responses=s.AwardSerializer(many=True), summary="奖励与荣誉列表")
    def get(self, request):
        return Response(s.AwardSerializer(awards_of(person_for(request.user)), many=True).data)

    @extend_schema(tags=TAG_ME, request=s.AwardRequest, responses={201: s.AwardSerializer}, summary="新增奖励与荣誉")
    @idempotent
    def post(self, request):
        person = person_for(request.user)
        if person is None:
            raise ApiError(code="rule_violation", message=_("请先填写并保存个人资料"))
        return _award_save(request, person, None, status.HTTP_201_CREATED)


class AwardDetailView(APIView):
    """本人的一项奖励与荣誉：读取、修改（PATCH，可替换或删除证明材料）、删除。"""

    permission_classes = ACCOUNT

    @extend_schema(tags=TAG_ME, responses=s.AwardSerializer, summary="读取奖励与荣誉")
    def get(self, request, pk: int):
        return Response(s.AwardSerializer(award_of_or_404(person_for(request.user), pk)).data)

    @extend_schema(tags=TAG_ME, request=s.AwardRequest, responses=s.AwardSerializer, summary="修改奖励与荣誉")
    def patch(self, request, pk: int):
        person = person_for(request.user)
        return _award_save(request, person, award_of_or_404(person, pk), status.HTTP_200_OK)

    @extend_schema(tags=TAG_ME, responses={204: None}, summary="删除奖励与荣誉")
    def delete(self, request, pk: int):
        person = person_for(request.user)
        awards.award_delete(person=person, award=award_of_or_404(person, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _award_save(request, person, award, code):
    data = {k: request.data.get(k) for k in ("name", "level", "year", "issuer", "remove_evidence") if k in request.data}
    if award is not None:
        data = {**{k: getattr(award, k) for k in ("name", "level", "year", "issuer")}, **data}
    form = AwardForm(data, request.FILES or None, instance=award)
    if not form.is_valid():
        raise form_invalid(form)
    try:
        award = awards.award_save(
            person=person,
            award=award,
            evidence=form.cleaned_data.get("evidence"),
            remove_evidence=form.cleaned_data.get("remove_evidence", False),
            **form.award_fields(),
        )
    except ValidationError as exc:
        raise ApiError(code="validation_error", message="；".join(exc.messages))
    return Response(s.AwardSerializer(award).data, status=code)


class NoticeListView(generics.ListAPIView):
    """本人的通知，最新的在前（游标分页）。"""

    permission_classes = ACCOUNT
    serializer_class = s.NoticeSerializer
    pagination_class = cursor_ordered_by("-created_at", "-id")

    def get_queryset(self):
        return notices_for(self.request.user)

    @extend_schema(tags=TAG_ME, summary="通知列表")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class NoticeReadView(APIView):
    """把一条通知（或全部通知）标为已读。"""

    permission_classes = ACCOUNT

    @extend_schema(tags=TAG_ME, request=s.NoticeReadRequest, responses=s.NoticeReadResult, summary="标为已读")
    def post(self, request):
        body = s.NoticeReadRequest(data=request.data)
        body.is_valid(raise_exception=True)
        marked = notices_mark_read(user=request.user, notice_id=body.validated_data.get("notice"))
        return Response({"marked": marked})


class MembershipListView(APIView):
    """本人的会员资格（含会员编号、等级、状态和会员证下载地址）。"""

    permission_classes = ACCOUNT

    @extend_schema(tags=TAG_ME, responses=s.MembershipSerializer(many=True), summary="我的会员资格")
    def get(self, request):
        return Response(s.MembershipSerializer(memberships_of(person_for(request.user)), many=True).data)


class CertificateView(APIView):
    """下载本人某一会员资格的会员证（PDF），记入审计。"""

    permission_classes = ACCOUNT

    @extend_schema(
        tags=TAG_ME,
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="会员证 PDF")},
        summary="下载会员证",
    )
    def get(self, request, pk: int):
        membership = membership_of_user_or_404(request.user, pk)
        try:
            content = certificate_render(actor=request.user, membership=membership, site=site_url(request))
        except DomainError:
            raise ApiError(code="not_found", message=_("该会员资格没有会员证"), status_code=404)
        filename = f"会员证-{membership.person.name}-{membership.number}.pdf"
        return file_download(content, filename=filename, content_type="application/pdf")
