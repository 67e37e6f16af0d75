"""Spreadsheets of the lifecycle pages: the member directory, a census error report, the annual report.

Pure builders (rows in, bytes out); the services in members/lifecycle_services.py call them and audit the
export in the same transaction. Every cell goes through kexie.excel, so no exported text runs as a formula.
"""

from kexie.excel import Sheet, csv_bytes, workbook_bytes

MEMBER_HEADER = [
    "会员编号", "姓名", "身份证号", "手机号码", "工作单位", "学历", "职称",
    "会员等级", "会员类别", "状态", "所属组织", "团体会员单位", "入会日期",
]
CENSUS_ERROR_HEADER = ["行号", "姓名", "身份证号", "手机号码", "工作单位", "学历", "职称", "会员等级", "邮箱", "错误"]


def members_workbook(memberships) -> tuple[bytes, int]:
    """The directory with the masked ID number only; returns the file and the number of rows written."""
    count = 0

    def rows():
        nonlocal count
        for m in memberships.iterator(chunk_size=2000):
            count += 1
            yield (
                m.number,
                m.person.name,
                m.person.id_number_masked,
                m.person.mobile,
                m.person.employer,
                m.person.get_education_display(),
                m.person.get_title_display(),
                m.get_grade_display(),
                m.get_category_display(),
                m.get_status_display(),
                m.org.name,
                m.unit.name if m.unit else "",
                m.joined_on,
            )

    content = workbook_bytes([Sheet("会员名册", MEMBER_HEADER, rows())])
    return content, count


def census_errors_file(error_rows, *, fmt: str) -> bytes:
    rows = (
        (r.row_number, r.name, r.id_number_masked, r.mobile, r.employer, r.education, r.title, r.grade, r.email, "；".join(r.errors))
        for r in error_rows.iterator(chunk_size=2000)
    )
    if fmt == "csv":
        return csv_bytes(CENSUS_ERROR_HEADER, rows)
    return workbook_bytes([Sheet("错误行", CENSUS_ERROR_HEADER, rows)])


def annual_report_workbook(r) -> bytes:
    grade_rows = [[label, *cells, total] for label, cells, total in r.by_grade_category]
    grade_rows.append(["合计", *r.category_totals, r.total_members])
    rate = r.fees.rate
    summary = [
        ["组织", r.org.name],
        ["年度", r.year],
        ["统计范围", "本组织及下级组织" if r.subtree else "本组织"],
        ["个人会员总数", r.total_members],
        ["本年新增会员", r.new_members],
        ["团体会员", r.unit_members],
        ["推荐人数", r.recommendations_made],
        ["推荐获批人数", r.recommendations_accepted],
        ["应缴会费人数", r.fees.due],
        ["已缴纳", r.fees.paid],
        ["免缴", r.fees.exempt],
        ["会费收缴率", "—" if rate is None else f"{rate:.1%}"],
    ]
    return workbook_bytes(
        [
            Sheet("概况", ["项目", "数值"], summary),
            Sheet("会员等级与类别", ["会员等级", *r.category_labels, "合计"], grade_rows),
        ]
    )
