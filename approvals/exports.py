"""Exports of approvals: the review queue as CSV and the annual report as Excel. Personal data leaves only
masked, and no cell can run as a formula."""

import csv
import io

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kexie.excel import Sheet, workbook_bytes

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


def annual_report_workbook(r) -> bytes:
    """The annual report as Excel: every figure with its unit and definition, the grade table and the targets."""
    from orgs.figures import TARGET_DEFINITIONS

    grade_rows = [[label, *cells, total] for label, cells, total in r.by_grade_category]
    grade_rows.append(["合计", *r.category_totals, r.total_members])
    summary = [
        ["组织", r.org.name, "", ""],
        ["年度", r.year, "", ""],
        ["统计范围", "本组织及下级组织" if r.subtree else "本组织", "", ""],
    ]
    for _group, rows in r.figures.groups():
        for figure, value in rows:
            summary.append([str(figure.label), "—" if value is None else value, figure.unit, str(figure.definition)])
    targets = [
        [str(TARGET_DEFINITIONS[metric].label), cell.target, "—" if cell.actual is None else cell.actual,
         "—" if cell.percent is None else f"{cell.percent}%"]
        for metric, cell in r.targets.items()
    ] or [["该年度未设置目标", "", "", ""]]
    return workbook_bytes(
        [
            Sheet("概况", ["项目", "数值", "单位", "定义"], summary),
            Sheet("会员等级与类别", ["会员等级", *r.category_labels, "合计"], grade_rows),
            Sheet("年度目标", ["目标", "目标值", "实际", "完成率"], targets),
        ]
    )
