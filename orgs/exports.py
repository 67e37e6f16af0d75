"""Spreadsheet exports of dashboard tables: aggregates only, never a person."""

from io import BytesIO

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

# Spreadsheet programs execute cells that start like a formula (CSV/formula injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def dashboard_workbook(dashboard) -> bytes:
    from orgs.models import Org

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(_("目标完成情况"))
    computed = timezone.localtime(dashboard.computed_at).strftime("%Y-%m-%d %H:%M") if dashboard.computed_at else "—"
    sheet.append([safe_cell(f"{dashboard.root.name} {dashboard.year} 年度会员发展进度"), safe_cell(f"统计时间 {computed}")])
    sheet.append([
        _("排名"), _("组织"), _("类型"), _("新增会员目标"), _("新增会员"), _("完成率%"), _("推荐目标"),
        _("向上级推荐"), _("完成率%"), _("增长率目标%"), _("增长率%"), _("收到申请"), _("批准"), _("待处理"),
        _("推荐获批"), _("状态"),
    ])
    status = {"ok": _("正常"), "warn": _("稍慢"), "bad": _("落后"), "": _("未设目标")}
    kinds = dict(Org.Kind.choices)
    for row in [dashboard.summary, *dashboard.rows]:
        cells = row.cells
        nm, rec, growth = cells.get("new_members"), cells.get("recommendations"), cells.get("member_growth_pct")
        sheet.append([safe_cell(v) for v in [
            row.rank if row is not dashboard.summary else _("合计"),
            row.org.name,
            str(kinds.get(row.org.kind, row.org.kind)),
            nm.target if nm else None,
            row.counts.get(f"new_members_{row.org.level}_level", 0),
            nm.percent if nm else None,
            rec.target if rec else None,
            row.counts.get("recommendations_made", 0),
            rec.percent if rec else None,
            growth.target if growth else None,
            growth.actual if growth else None,
            row.counts.get("received", 0),
            row.counts.get("approved", 0),
            row.counts.get("pending", 0),
            row.counts.get("recommendations_accepted", 0),
            str(status[row.badge]),
        ]])
    sheet.column_dimensions["B"].width = 36
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
