from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kexie.choices import ChoiceLabels


class User(AbstractUser):
    """An account. Applicants sign in with their mobile number as username; admins get a chosen username."""

    class Department(models.TextChoices):
        ORG_PERSONNEL = "org_personnel", _("组织人事部")
        RESEARCH_PUBLICITY = "research_publicity", _("调研宣传部")
        SOCIETY_ACADEMIC = "society_academic", _("学会学术部")
        POPULAR_SCIENCE = "popular_science", _("科学技术普及部")
        WORKER_SERVICE = "worker_service", _("省科技工作者服务中心")

    full_name = models.CharField(_("姓名"), max_length=50, blank=True)
    mobile = models.CharField(_("手机号码"), max_length=11, unique=True, null=True, blank=True)
    department = models.CharField(
        _("所属部门"), max_length=32, choices=Department.choices, blank=True, help_text=_("仅省科协工作人员填写")
    )
    created_by = models.ForeignKey(
        "self", verbose_name=_("创建人"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Set when the person entered a code sent to `email`; only a verified address can recover the password.
    email_verified_at = models.DateTimeField(_("邮箱验证时间"), null=True, blank=True)
    # When the account's holder last chose their password; empty while it is an initial password someone else
    # set. Administrators' passwords expire after PASSWORD_EXPIRY_DAYS (orgs.middleware.PasswordExpiryMiddleware).
    password_changed_at = models.DateTimeField(_("密码设置时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.full_name or self.username

    def set_password(self, raw_password) -> None:
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()


class Person(models.Model):
    """A scientist's profile. May exist without an account (census import) until they re-register."""

    class Gender(models.TextChoices):
        MALE = "male", _("男")
        FEMALE = "female", _("女")

    class Education(models.TextChoices):
        """Highest education by the national classification, highest first."""

        DOCTOR = "doctor", _("博士研究生")
        MASTER = "master", _("硕士研究生")
        BACHELOR = "bachelor", _("大学本科")
        JUNIOR_COLLEGE = "junior_college", _("大学专科")
        SECONDARY_VOCATIONAL = "secondary_vocational", _("中等专科（含中技）")
        HIGH_SCHOOL = "high_school", _("高中")
        JUNIOR_HIGH_OR_BELOW = "junior_high_or_below", _("初中及以下")

    class Title(models.TextChoices):
        NONE = "none", _("无")
        JUNIOR = "junior", _("初级")
        INTERMEDIATE = "intermediate", _("中级")
        ASSOCIATE_SENIOR = "associate_senior", _("副高级")
        SENIOR = "senior", _("正高级")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账号"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="person",
    )
    name = models.CharField(_("姓名"), max_length=50)
    gender = models.CharField(_("性别"), max_length=8, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    id_number_encrypted = models.TextField(_("身份证号（密文）"), blank=True)
    id_number_index = models.CharField(_("身份证号索引"), max_length=64, unique=True, null=True, blank=True)
    id_number_masked = models.CharField(_("身份证号"), max_length=18, blank=True)
    mobile = models.CharField(_("手机号码"), max_length=11, blank=True, db_index=True)
    email = models.EmailField(_("电子邮箱"), blank=True)
    employer = models.CharField(_("工作单位"), max_length=100, blank=True)
    discipline = models.CharField(_("学科专业"), max_length=100, blank=True)
    education = models.CharField(_("最高学历"), max_length=20, choices=Education.choices, blank=True)
    # Set when the education choices changed under a stored value ("中专及以下" became 中等专科): the profile page
    # asks the person to confirm it once, and saving the profile clears it.
    education_unconfirmed = models.BooleanField(_("学历待本人确认"), default=False)
    title = models.CharField(_("专业技术职称"), max_length=20, choices=Title.choices, blank=True)
    is_rural_expert = models.BooleanField(_("农村技术能手"), default=False)
    is_popsci_leader = models.BooleanField(_("科普带头人"), default=False)
    restricted_at = models.DateTimeField(
        _("限制处理时间"),
        null=True,
        blank=True,
        help_text=_("本人注销账号后，为已作出决定的会员资格保留的资料只作存档，不再用于其他处理"),
    )
    deidentified_at = models.DateTimeField(
        _("去标识化时间"),
        null=True,
        blank=True,
        help_text=_("注销账号超过保存期限后，只保留会员资格所需的脱敏姓名，其余个人信息已删除"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("个人资料")
        verbose_name_plural = _("个人资料")
        indexes = [models.Index(fields=["name"], name="person_name_idx")]

    def __str__(self) -> str:
        return self.name


class PersonAccess(models.Model):
    """An administrator saw a person's data (PIPL access record): their profile, an evidence file, a census row, or
    an export that contains them. The person reads these on 我的数据 ("谁查看了我的信息")."""

    class What(models.TextChoices):
        PROFILE = "profile", _("查看个人资料")
        EVIDENCE = "evidence", _("下载证明材料")
        CENSUS = "census", _("查看普查名单")
        EXPORT = "export", _("导出名单")

    person = models.ForeignKey(Person, verbose_name=_("个人"), on_delete=models.CASCADE, related_name="accesses")
    viewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("查看人"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    org = models.ForeignKey(
        "orgs.Org", verbose_name=_("所在组织"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    what = models.CharField(_("查看内容"), max_length=16, choices=What.choices)
    detail = models.CharField(_("说明"), max_length=200, blank=True)
    at = models.DateTimeField(_("时间"), db_index=True)
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)

    class Meta:
        verbose_name = _("个人信息查看记录")
        verbose_name_plural = _("个人信息查看记录")
        indexes = [models.Index(fields=["person", "-at"], name="person_access_idx")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.what} {self.at:%Y-%m-%d %H:%M}"


class Consent(models.Model):
    """Consent to process the ID number; a withdrawal keeps the row and stamps withdrawn_at."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE)
    version = models.CharField(_("告知书版本"), max_length=16)
    given_at = models.DateTimeField(_("同意时间"), auto_now_add=True)
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("个人信息授权")
        verbose_name_plural = _("个人信息授权")
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(withdrawn_at__isnull=True), name="one_live_consent_per_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} v{self.version}"


class AwardLevel(models.TextChoices):
    NATIONAL = "national", _("国家级")
    PROVINCIAL = "provincial", _("省级")
    CITY = "city", _("市级")
    COUNTY = "county", _("县级")


AWARD_LEVEL_RANK = {AwardLevel.COUNTY: 1, AwardLevel.CITY: 2, AwardLevel.PROVINCIAL: 3, AwardLevel.NATIONAL: 4}


def award_evidence_path(instance: "Award", filename: str) -> str:
    # Random names: the original filename may itself carry personal data.
    import uuid
    from pathlib import Path

    return f"evidence/{instance.person_id}/{uuid.uuid4().hex}{Path(filename).suffix.lower()}"


class Award(models.Model):
    person = models.ForeignKey(Person, verbose_name=_("人员"), on_delete=models.CASCADE, related_name="awards")
    name = models.CharField(_("奖项或荣誉名称"), max_length=200)
    level = models.CharField(_("级别"), max_length=16, choices=AwardLevel.choices)
    year = models.PositiveSmallIntegerField(_("获得年份"))
    issuer = models.CharField(_("授予单位"), max_length=100, blank=True)
    evidence = models.FileField(_("证明材料"), upload_to=award_evidence_path, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("奖励与荣誉")
        verbose_name_plural = _("奖励与荣誉")
        ordering = ["-year", "id"]

    def __str__(self) -> str:
        return self.name


class MembershipQuerySet(models.QuerySet):
    def active(self) -> "MembershipQuerySet":
        return self.filter(status=Membership.Status.ACTIVE)


class Membership(ChoiceLabels, models.Model):
    """Individual membership of one organisation at its level; each level admits its own members."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("有效")
        PENDING_REREGISTRATION = "pending_rereg", _("待重新登记")
        # Not renewed for the current year after the renewal window and its grace period (会籍年度).
        PENDING_RENEWAL = "pending_renewal", _("待续期")
        LAPSED = "lapsed", _("已失效")
        WITHDRAWN = "withdrawn", _("已退会")
        TRANSFERRED = "transferred", _("已转出")

    class Grade(models.TextChoices):
        STUDENT = "student", _("学生会员")
        ORDINARY = "ordinary", _("普通会员")
        SENIOR = "senior", _("高级会员")
        FELLOW = "fellow", _("会士")

    class Category(models.TextChoices):
        REGULAR = "regular", _("个人会员")
        HONORARY = "honorary", _("荣誉会员")
        FOREIGN = "foreign", _("外籍会员")
        PERMANENT = "permanent", _("永久会员")

    class Origin(models.TextChoices):
        """How the membership came about. Only admissions count toward the yearly development targets
        (冀科协〔2017〕90号 二、目标任务): existing members entered by the census and transfers between
        organisations are not members developed that year."""

        APPLICATION = "application", _("申请入会")
        CENSUS = "census", _("存量会员登记")
        TRANSFER = "transfer", _("转入")

    person = models.ForeignKey(Person, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="memberships")
    org = models.ForeignKey("orgs.Org", verbose_name=_("组织"), on_delete=models.PROTECT, related_name="memberships")
    level = models.CharField(_("级别"), max_length=16)
    number = models.CharField(_("会员编号"), max_length=32, unique=True, null=True, blank=True)
    grade = models.CharField(_("会员等级"), max_length=16, choices=Grade.choices, default=Grade.ORDINARY)
    category = models.CharField(_("会员类别"), max_length=16, choices=Category.choices, default=Category.REGULAR)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    origin = models.CharField(_("来源"), max_length=16, choices=Origin.choices, default=Origin.APPLICATION)
    joined_on = models.DateField(_("入会日期"))
    # The last calendar year the membership is renewed for (会籍年度): the joining year, then each renewal.
    valid_through = models.PositiveSmallIntegerField(_("有效期至（年度）"), null=True, blank=True)
    # Reissued (same number, new date) whenever the grade or the organisation printed on it changes.
    certificate_issued_on = models.DateField(_("会员证签发日期"), null=True, blank=True)
    unit = models.ForeignKey(
        "members.UnitMember",
        verbose_name=_("所在团体会员单位"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="individual_memberships",
    )
    application = models.OneToOneField(
        "approvals.Application",
        verbose_name=_("来源申请"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="membership",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("个人会员")
        verbose_name_plural = _("个人会员")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "org"],
                condition=Q(status__in=["active", "pending_rereg", "pending_renewal"]),
                name="one_live_membership_per_person_org",
            )
        ]
        indexes = [
            models.Index(fields=["org", "status"], name="membership_org_status_idx"),
            # The member directory reads a page from each organisation in number order (directory_pages).
            models.Index(fields=["org", "number", "id"], name="membership_org_number_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.person} @ {self.org}"


class MemberNumberCounter(models.Model):
    """Last issued sequence per org and year; the row lock makes numbers gapless under concurrency."""

    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("会员编号计数器")
        verbose_name_plural = _("会员编号计数器")
        constraints = [models.UniqueConstraint(fields=["org", "year"], name="one_counter_per_org_year")]

    def __str__(self) -> str:
        return f"{self.org_id}/{self.year}: {self.last_value}"


class Notice(models.Model):
    """In-app notice; also the email outbox (emailed_at stays empty until the mail went out)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="notices"
    )
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(_("发送尝试次数"), default=0)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["emailed_at"], name="notice_outbox_idx")]

    def __str__(self) -> str:
        return self.title


class VerificationCode(models.Model):
    """A one-time code sent to a mobile (or an email address) to prove the person holds it.

    Only an HMAC of the code is stored. The newest code for an address and purpose is the only one that
    counts; it is spent by one correct entry, dies after VERIFICATION_CODE_MAX_ATTEMPTS wrong ones or when it
    expires. The rows are also the record the send limits count (per address and per client address), so the
    limits hold when the cache is down.
    """

    class Channel(models.TextChoices):
        SMS = "sms", _("短信")
        EMAIL = "email", _("电子邮件")

    class Purpose(models.TextChoices):
        REGISTER = "register", _("注册账号")
        PASSWORD_RESET = "password_reset", _("找回密码")
        MOBILE_CHANGE = "mobile_change", _("更换手机号码")
        EMAIL_VERIFY = "email_verify", _("验证电子邮箱")
        LOGIN = "login", _("短信验证码登录")

    channel = models.CharField(_("发送方式"), max_length=8, choices=Channel.choices)
    address = models.CharField(_("手机号码或邮箱"), max_length=254)
    purpose = models.CharField(_("用途"), max_length=16, choices=Purpose.choices)
    code_hash = models.CharField(_("验证码摘要"), max_length=64)
    client_ip = models.GenericIPAddressField(_("请求地址"), null=True, blank=True)
    created_at = models.DateTimeField(_("发送时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("失效时间"))
    attempts = models.PositiveSmallIntegerField(_("错误次数"), default=0)
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("验证码")
        verbose_name_plural = _("验证码")
        indexes = [
            models.Index(fields=["address", "created_at"], name="vcode_address_idx"),
            models.Index(fields=["client_ip", "created_at"], name="vcode_client_ip_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.purpose}@{self.created_at:%Y-%m-%d %H:%M}"


# --- Member lifecycle: unit members, fees, census and re-registration -----------------------------------


class UnitMember(models.Model):
    """团体会员: an organisation admitted as a member, identified by its unified social credit code."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("有效")
        WITHDRAWN = "withdrawn", _("已退会")

    org = models.ForeignKey("orgs.Org", verbose_name=_("所属组织"), on_delete=models.PROTECT, related_name="unit_members")
    name = models.CharField(_("单位名称"), max_length=100)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18)
    uscc_checksum_ok = models.BooleanField(_("校验位正确"), default=True)
    # Some early codes fail the GB 32100 check yet are what the licence shows; the admin's reason is kept.
    uscc_override_reason = models.TextField(_("校验位不符的确认理由"), blank=True)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_mobile = models.CharField(_("联系电话"), max_length=11, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    joined_on = models.DateField(_("入会日期"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("录入人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("团体会员")
        verbose_name_plural = _("团体会员")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "uscc"], name="one_unit_membership_per_org_uscc"),
            models.CheckConstraint(
                condition=Q(uscc_checksum_ok=True) | ~Q(uscc_override_reason=""),
                name="uscc_checksum_failure_needs_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Fee(models.Model):
    """Annual fee of one org for one membership category; zero means 暂时不收取会费."""

    org = models.ForeignKey("orgs.Org", verbose_name=_("组织"), on_delete=models.PROTECT, related_name="fees")
    category = models.CharField(_("会员类别"), max_length=16, choices=Membership.Category.choices)
    year = models.PositiveSmallIntegerField(_("年度"))
    amount = models.DecimalField(_("金额（元）"), max_digits=8, decimal_places=2)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("会费标准")
        verbose_name_plural = _("会费标准")
        ordering = ["-year", "category"]
        constraints = [
            models.UniqueConstraint(fields=["org", "category", "year"], name="one_fee_per_org_category_year"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="fee_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.org_id}/{self.year}/{self.category}: {self.amount}"

    @property
    def is_waived(self) -> bool:
        return self.amount == 0


class FeeInstructions(models.Model):
    """How members of one organisation pay their fee (bank account, office, online), shown on their fee page."""

    org = models.OneToOneField(
        "orgs.Org", verbose_name=_("组织"), on_delete=models.CASCADE, related_name="fee_instructions"
    )
    text = models.TextField(_("缴费方式"), max_length=2000)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("更新人"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("缴费方式")
        verbose_name_plural = _("缴费方式")

    def __str__(self) -> str:
        return f"{self.org_id}: {self.text[:20]}"


class FeePayment(models.Model):
    """A member's fee for one year settled: paid, or exempted by the admin."""

    class Kind(models.TextChoices):
        PAID = "paid", _("已缴纳")
        EXEMPT = "exempt", _("免缴")

    membership = models.ForeignKey(
        Membership, verbose_name=_("会员"), on_delete=models.PROTECT, related_name="fee_payments"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    kind = models.CharField(_("方式"), max_length=8, choices=Kind.choices)
    amount = models.DecimalField(_("金额（元）"), max_digits=8, decimal_places=2, default=0)
    paid_on = models.DateField(_("缴费日期"))
    note = models.CharField(_("备注"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("会费缴纳")
        verbose_name_plural = _("会费缴纳")
        ordering = ["-year", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["membership", "year"], name="one_fee_payment_per_membership_year"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="fee_payment_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.membership_id}/{self.year}: {self.kind}"


def census_file_path(instance: "CensusImport", filename: str) -> str:
    import uuid
    from pathlib import Path

    return f"census/{uuid.uuid4().hex}{Path(filename).suffix.lower()}"


class CensusImport(models.Model):
    """One uploaded member list of the census (普查、清理和重新登记) and its processing state."""

    class Status(models.TextChoices):
        VALIDATING = "validating", _("正在校验")
        VALIDATED = "validated", _("待确认导入")
        COMMITTING = "committing", _("正在导入")
        COMMITTED = "committed", _("已导入")
        FAILED = "failed", _("处理失败")

    org = models.ForeignKey("orgs.Org", verbose_name=_("组织"), on_delete=models.PROTECT, related_name="census_imports")
    # Emptied once the import is committed or abandoned (CENSUS_UPLOAD_RETENTION_DAYS): it holds full ID numbers.
    file = models.FileField(_("文件"), upload_to=census_file_path, blank=True)
    original_name = models.CharField(_("文件名"), max_length=200)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.VALIDATING)
    total_rows = models.PositiveIntegerField(_("总行数"), default=0)
    valid_rows = models.PositiveIntegerField(_("有效行数"), default=0)
    error_rows = models.PositiveIntegerField(_("错误行数"), default=0)
    imported_rows = models.PositiveIntegerField(_("已导入人数"), default=0)
    message = models.TextField(_("处理说明"), blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    committed_at = models.DateTimeField(_("导入时间"), null=True, blank=True)
    # The record of the background job (the outbox): how often the current job was sent, when last, and the
    # last sign of life of a running one. The sweep and 重新处理 decide from these what is due.
    attempts = models.PositiveIntegerField(_("处理次数"), default=0)
    job_sent_at = models.DateTimeField(_("任务发出时间"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("最近进展时间"), null=True, blank=True)
    file_deleted_at = models.DateTimeField(_("原始文件删除时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("普查导入")
        verbose_name_plural = _("普查导入")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"


class CensusRowQuerySet(models.QuerySet):
    def unanswered(self) -> "CensusRowQuerySet":
        """Imported and invited, not re-registered yet, while the membership still waits for it (an
        administrator may have ended it meanwhile)."""
        return self.filter(
            membership__isnull=False,
            claimed_at__isnull=True,
            membership__status=Membership.Status.PENDING_REREGISTRATION,
        )


class CensusRow(models.Model):
    """One line of a census file: what was typed (ID masked), its errors, and after commit the invitation."""

    census = models.ForeignKey(CensusImport, verbose_name=_("普查导入"), on_delete=models.CASCADE, related_name="rows")
    row_number = models.PositiveIntegerField(_("行号"))
    name = models.CharField(_("姓名"), max_length=100, blank=True)
    id_number_masked = models.CharField(_("身份证号"), max_length=18, blank=True)
    id_number_encrypted = models.TextField(_("身份证号（密文）"), blank=True)
    id_number_index = models.CharField(_("身份证号索引"), max_length=64, blank=True, db_index=True)
    mobile = models.CharField(_("手机号码"), max_length=32, blank=True)
    employer = models.CharField(_("工作单位"), max_length=200, blank=True)
    education = models.CharField(_("学历"), max_length=32, blank=True)
    title = models.CharField(_("职称"), max_length=32, blank=True)
    grade = models.CharField(_("会员等级"), max_length=32, blank=True)
    email = models.CharField(_("邮箱"), max_length=254, blank=True)
    errors = models.JSONField(_("错误"), default=list, blank=True)
    membership = models.OneToOneField(
        Membership, verbose_name=_("会员"), on_delete=models.SET_NULL, null=True, blank=True, related_name="census_row"
    )
    invite_token = models.CharField(_("登记邀请码"), max_length=64, unique=True, null=True, blank=True)
    sms_text = models.TextField(_("短信内容"), blank=True)
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("重新登记时间"), null=True, blank=True)

    objects = CensusRowQuerySet.as_manager()

    class Meta:
        verbose_name = _("普查名单行")
        verbose_name_plural = _("普查名单行")
        ordering = ["census", "row_number"]
        constraints = [models.UniqueConstraint(fields=["census", "row_number"], name="one_census_row_per_line")]

    def __str__(self) -> str:
        return f"{self.census_id}#{self.row_number} {self.name}"

    @property
    def is_valid(self) -> bool:
        return not self.errors

    @property
    def reregistration_state(self) -> str:
        """"reregistered", "pending" (invited, not answered yet), "ended" (the membership was ended before the
        person answered) or "" for a row that was never imported. Reads the membership."""
        if self.claimed_at is not None:
            return "reregistered"
        if self.membership_id is None:
            return ""
        if self.membership.status == Membership.Status.PENDING_REREGISTRATION:
            return "pending"
        return "ended"


# --- Dues: the member's own payment report, the administrator's confirmation, the electronic receipt --------


def payment_proof_path(instance: "DuesPayment", filename: str) -> str:
    # Random names, as for award evidence: the original filename may carry personal data.
    import uuid
    from pathlib import Path

    return f"payment-proofs/{instance.membership_id}/{uuid.uuid4().hex}{Path(filename).suffix.lower()}"


class DuesPayment(models.Model):
    """A member's payment of one year's fee as they report it, until the organisation confirms or rejects it.

    Confirmation records the FeePayment (what the collection rate counts) and issues the FeeReceipt.
    """

    class Method(models.TextChoices):
        BANK_TRANSFER = "bank_transfer", _("银行转账")
        ON_SITE = "on_site", _("现场缴纳")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("待确认")
        CONFIRMED = "confirmed", _("已确认")
        REJECTED = "rejected", _("未通过")

    membership = models.ForeignKey(
        Membership, verbose_name=_("会员"), on_delete=models.PROTECT, related_name="dues_payments"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    method = models.CharField(_("缴费方式"), max_length=16, choices=Method.choices)
    amount = models.DecimalField(_("金额（元）"), max_digits=8, decimal_places=2)
    proof = models.FileField(_("转账凭证"), upload_to=payment_proof_path, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    reject_reason = models.TextField(_("未通过原因"), blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("处理人"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    fee_payment = models.OneToOneField(
        FeePayment, verbose_name=_("会费缴纳记录"), on_delete=models.PROTECT, null=True, blank=True, related_name="dues"
    )

    class Meta:
        verbose_name = _("会费缴纳申报")
        verbose_name_plural = _("会费缴纳申报")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["membership", "year"],
                condition=Q(status__in=["submitted", "confirmed"]),
                name="one_live_dues_payment_per_membership_year",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="dues_payment_amount_positive"),
        ]
        indexes = [models.Index(fields=["status", "submitted_at"], name="dues_payment_status_idx")]

    def __str__(self) -> str:
        return f"{self.membership_id}/{self.year}: {self.status}"


class FeeReceiptCounter(models.Model):
    """Last receipt serial per org and year; locked like the member number counter so serials are gapless."""

    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("收据编号计数器")
        verbose_name_plural = _("收据编号计数器")
        constraints = [models.UniqueConstraint(fields=["org", "year"], name="one_receipt_counter_per_org_year")]

    def __str__(self) -> str:
        return f"{self.org_id}/{self.year}: {self.last_value}"


class FeeReceipt(models.Model):
    """电子收据 of a confirmed payment: number unique per organisation and year, gapless, never reused."""

    payment = models.OneToOneField(
        DuesPayment, verbose_name=_("会费缴纳"), on_delete=models.PROTECT, related_name="receipt"
    )
    org = models.ForeignKey("orgs.Org", verbose_name=_("收款组织"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    serial = models.PositiveIntegerField(_("序号"))
    number = models.CharField(_("收据编号"), max_length=32, unique=True)
    amount = models.DecimalField(_("金额（元）"), max_digits=8, decimal_places=2)
    issued_at = models.DateTimeField(_("开具时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("电子收据")
        verbose_name_plural = _("电子收据")
        constraints = [models.UniqueConstraint(fields=["org", "year", "serial"], name="one_receipt_per_org_year_serial")]

    def __str__(self) -> str:
        return self.number


# --- The membership year: renewal windows, renewals and their reminders -------------------------------------


class RenewalWindow(models.Model):
    """An organisation's renewal window (年度注册期) for year Y: from opens (month, day) of Y-1 to closes
    (month, day) of Y; organisations without one use KEXIE_RENEWAL_WINDOW (1 Nov – 31 Mar)."""

    org = models.OneToOneField("orgs.Org", verbose_name=_("组织"), on_delete=models.CASCADE, related_name="renewal_window")
    opens_month = models.PositiveSmallIntegerField(_("开始月份"))
    opens_day = models.PositiveSmallIntegerField(_("开始日"))
    closes_month = models.PositiveSmallIntegerField(_("截止月份"))
    closes_day = models.PositiveSmallIntegerField(_("截止日"))
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("年度注册期")
        verbose_name_plural = _("年度注册期")

    def __str__(self) -> str:
        return f"{self.org_id}: {self.opens_month}-{self.opens_day} … {self.closes_month}-{self.closes_day}"


class Renewal(models.Model):
    """A member's renewal for one year (年度注册): profile confirmed, complete once the year's fee is settled."""

    membership = models.ForeignKey(Membership, verbose_name=_("会员"), on_delete=models.CASCADE, related_name="renewals")
    year = models.PositiveSmallIntegerField(_("年度"))
    confirmed_at = models.DateTimeField(_("确认资料时间"))
    completed_at = models.DateTimeField(_("注册完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("年度注册")
        verbose_name_plural = _("年度注册")
        constraints = [models.UniqueConstraint(fields=["membership", "year"], name="one_renewal_per_membership_year")]

    def __str__(self) -> str:
        return f"{self.membership_id}/{self.year}"


class RenewalNotice(models.Model):
    """One membership-year reminder or state change sent; the unique row keeps a re-run from repeating it."""

    class Kind(models.TextChoices):
        CLOSING = "closing", _("年度注册即将截止")
        CLOSED = "closed", _("年度注册已截止")
        PENDING = "pending", _("转为待续期")
        LAPSED = "lapsed", _("会籍失效")

    membership = models.ForeignKey(Membership, verbose_name=_("会员"), on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    sent_at = models.DateTimeField(_("发送时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("会籍年度提醒")
        verbose_name_plural = _("会籍年度提醒")
        constraints = [
            models.UniqueConstraint(fields=["membership", "year", "kind"], name="one_renewal_notice_per_kind_year")
        ]

    def __str__(self) -> str:
        return f"{self.membership_id}/{self.year}: {self.kind}"


class ApiSession(models.Model):
    """One sign-in of the mini-program: a short-lived access token and a longer refresh token, both stored
    as SHA-256 digests only. Refreshing replaces both; revoking ends the sign-in."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="api_sessions"
    )
    access_hash = models.CharField(_("访问令牌摘要"), max_length=64, unique=True)
    access_expires_at = models.DateTimeField(_("访问令牌到期时间"))
    refresh_hash = models.CharField(_("刷新令牌摘要"), max_length=64, unique=True)
    refresh_expires_at = models.DateTimeField(_("刷新令牌到期时间"))
    created_at = models.DateTimeField(_("登录时间"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("退出时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("移动端登录")
        verbose_name_plural = _("移动端登录")

    def __str__(self) -> str:
        return f"{self.user_id}@{self.created_at:%Y-%m-%d %H:%M}"

    @property
    def rate_key(self) -> str:
        return f"bearer:{self.pk}"
