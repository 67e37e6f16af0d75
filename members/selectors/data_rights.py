"""Everything held about the signed-in user, for the "my data" page and its downloads."""

from django.utils.translation import gettext as _

from members.models import Consent, Person
from members.selectors.people import awards_of, memberships_of, notices_for, person_for
from members.signals import person_data_collected


def person_data(user) -> dict:
    """Everything held about the signed-in user, for the "my data" page and its downloads. Never the full
    ID number: only its masked form."""
    person = person_for(user)
    profile = {}
    if person is not None:
        profile = {
            str(Person._meta.get_field(f).verbose_name): _display(person, f)
            for f in (
                "name", "gender", "birth_date", "id_number_masked", "mobile", "email", "employer", "discipline",
                "education", "title", "is_rural_expert", "is_popsci_leader", "created_at", "updated_at",
            )
        }
    data = {
        "account": {
            _("用户名"): user.username,
            _("手机号码"): user.mobile or "",
            _("电子邮箱"): user.email,
            _("注册时间"): format_value(user.date_joined),
            _("最近登录"): format_value(user.last_login),
        },
        "profile": profile,
        "awards": [
            {
                _("奖项或荣誉名称"): a.name,
                _("级别"): a.get_level_display(),
                _("获得年份"): a.year,
                _("授予单位"): a.issuer,
                _("证明材料"): _("有") if a.evidence else _("无"),
            }
            for a in awards_of(person)
        ],
    }
    # Records of higher apps (approvals adds the applications) come between the awards and the memberships.
    for _receiver, sections in person_data_collected.send(sender=Person, person=person):
        data.update(sections)
    data.update({
        "memberships": [
            {
                _("组织"): m.org.name,
                _("会员编号"): m.number or "",
                _("会员等级"): m.get_grade_display(),
                _("会员类别"): m.get_category_display(),
                _("状态"): m.get_status_display(),
                _("入会日期"): format_value(m.joined_on),
            }
            for m in memberships_of(person)
        ],
        "consents": [
            {_("告知书版本"): c.version, _("同意时间"): format_value(c.given_at), _("撤回时间"): format_value(c.withdrawn_at)}
            for c in Consent.objects.filter(user=user).order_by("given_at", "id")
        ],
        "notices": [
            {_("时间"): format_value(n.created_at), _("标题"): n.title, _("内容"): n.body, _("已读"): _("是") if n.read_at else _("否")}
            for n in notices_for(user)
        ],
        "accesses": [
            {
                _("时间"): format_value(a.at),
                _("组织"): a.org.name if a.org else "",
                _("查看人"): str(a.viewer) if a.viewer else _("已注销的账号"),
                _("查看内容"): a.get_what_display(),
                _("说明"): a.detail,
            }
            for a in accesses_of(person)
        ],
    })
    return data


# The newest access records shown and downloaded; older ones stay stored.
ACCESSES_SHOWN = 500


def accesses_of(person: Person | None):
    """谁查看了我的信息: administrators' views of this person's data, newest first."""
    if person is None:
        return []
    return person.accesses.select_related("viewer", "org").order_by("-at", "-id")[:ACCESSES_SHOWN]


def _display(person: Person, field: str):
    value = getattr(person, field)
    if isinstance(value, bool):
        return _("是") if value else _("否")
    display = getattr(person, f"get_{field}_display", None)
    if display is not None and value:
        return str(display())
    return format_value(value)


def format_value(value) -> str:
    from datetime import date, datetime

    from django.utils import timezone

    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
