"""CSV rendering of the review queue. Personal data leaves only masked, and no cell can run as a formula."""

import csv
import io

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# Spreadsheet programs evaluate cells starting with these; a leading apostrophe makes them plain text.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


HEADER = (
    gettext_lazy("申请编号"),
    gettext_lazy("姓名"),
    gettext_lazy("身份证号"),
    gettext_lazy("手机号码"),
    gettext_lazy("工作单位"),
    gettext_lazy("申请组织"),
    gettext_lazy("级别"),
    gettext_lazy("状态"),
    gettext_lazy("符合条件"),
    gettext_lazy("提交时间"),
    gettext_lazy("推荐组织"),
    gettext_lazy("推荐意见"),
    gettext_lazy("审核意见"),
)


def applications_csv(applications) -> tuple[bytes, int]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([str(h) for h in HEADER])
    count = 0
    for a in applications.iterator(chunk_size=500):
        rec = a.recommendation
        writer.writerow(
            neutralise(v)
            for v in (
                a.pk,
                a.person.name,
                a.person.id_number_masked,
                a.person.mobile,
                a.person.employer,
                a.org.name,
                a.org.get_level_display(),
                a.get_status_display(),
                _("是") if a.meets_criteria else _("否"),
                _when(a.submitted_at),
                rec.from_org.name if rec else "",
                rec.opinion if rec else "",
                a.decision_comment,
            )
        )
        count += 1
    return ("\ufeff" + buffer.getvalue()).encode("utf-8"), count
