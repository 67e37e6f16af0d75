"""The electronic receipt (电子收据) of a confirmed dues payment: a one-page Chinese PDF."""

import io

from django.utils import timezone
from django.utils.translation import gettext as _

from kexie.money import amount_in_capitals
from members.certificates import CJK_FONT, draw_label_rows, register_cjk_font
from members.models import FeeReceipt


def receipt_pdf(receipt: FeeReceipt) -> bytes:
    from reportlab.lib.colors import HexColor
    from reportlab.lib.pagesizes import A5, landscape
    from reportlab.pdfgen import canvas

    payment = receipt.payment
    membership = payment.membership
    register_cjk_font()
    width, height = landscape(A5)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(width, height), pageCompression=1)
    pdf.setTitle(_("会费收据") + f" {receipt.number}")
    pdf.setAuthor(receipt.org.name)
    pdf.setStrokeColor(HexColor("#1a4d8f"))
    pdf.setLineWidth(1.5)
    pdf.rect(24, 24, width - 48, height - 48)
    pdf.setFont(CJK_FONT, 22)
    pdf.drawCentredString(width / 2, height - 70, _("会费电子收据"))
    pdf.setFont(CJK_FONT, 11)
    pdf.drawRightString(width - 50, height - 95, _("收据编号：%(number)s") % {"number": receipt.number})
    rows = [
        (_("交款人"), membership.person.name),
        (_("会员编号"), membership.number or ""),
        (_("收款组织"), receipt.org.name),
        (_("收费项目"), _("%(year)s 年度个人会员会费") % {"year": receipt.year}),
        (_("缴费方式"), payment.get_method_display()),
        (_("金额（小写）"), f"¥{receipt.amount:.2f}"),
        (_("金额（大写）"), amount_in_capitals(receipt.amount)),
        (_("开具日期"), timezone.localtime(receipt.issued_at).strftime("%Y年%m月%d日")),
    ]
    draw_label_rows(pdf, rows, y=height - 130, value_x=160, step=26)
    pdf.setFont(CJK_FONT, 9)
    pdf.drawString(60, 40, _("本收据由科协个人会员系统在收款组织确认缴费后开具，编号按组织和年度连续编制。"))
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
