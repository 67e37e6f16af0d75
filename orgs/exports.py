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
    """The dashboard's table: targets and their completion, then every figure (labels from orgs.figures), and a
    second sheet with each figure's definition."""
    from orgs.figures import FIGURES
    from orgs.models import Org

    shown = [f for f in FIGURES if f.shown]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(_("目标完成情况"))
    computed = timezone.localtime(dashboard.computed_at).strftime("%Y-%m-%d %H:%M") if dashboard.computed_at else "—"
    sheet.append([safe_cell(f"{dashboard.root.name} {dashboard.year} 年度会员发展进度"), safe_cell(f"数据截至 {computed}")])
    sheet.append([
        _("排名"), _("组织"), _("类型"), _("本级新增会员目标"), _("本级新增会员"), _("完成率%"), _("推荐目标"),
        _("向上级推荐"), _("完成率%"), _("增长率目标%"), _("综合完成率%"), _("状态"),
        *[f"{f.label}（{f.unit}）" for f in shown],
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
            row.own_level_new_members,
            nm.percent if nm else None,
            rec.target if rec else None,
            row.figures["recommendations_made"],
            rec.percent if rec else None,
            growth.target if growth else None,
            row.score_percent,
            str(status[row.badge]),
            *[row.figures[f.key] for f in shown],
        ]])
    sheet.column_dimensions["B"].width = 36
    definitions = workbook.create_sheet(str(_("统计口径")))
    definitions.append([_("数字"), _("单位"), _("定义"), _("依据")])
    for f in shown:
        definitions.append([safe_cell(str(v)) for v in (f.label, f.unit, f.definition, f.rule)])
    definitions.column_dimensions["C"].width = 80
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
