"""The member certificate (会员证): a one-page Chinese PDF with a QR code to the public verification page.

The verification token is a signature over the membership id (django.core.signing, keyed by SECRET_KEY):
member numbers are printed and guessable in sequence, so the public page must not be reachable from a number.
"""

import io

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext as _

from members.models import Membership
from orgs.models import Org

# The salt keeps its original value: certificates already printed carry tokens signed with it.
TOKEN_SALT = "approvals.certificate.verify"
CJK_FONT = "STSong-Light"


def verify_token(membership: Membership) -> str:
    return signing.Signer(salt=TOKEN_SALT).sign(str(membership.pk))


def membership_id_from_token(token: str) -> int | None:
    try:
        return int(signing.Signer(salt=TOKEN_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None


def verify_url(membership: Membership) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("certificates:verify", args=[verify_token(membership)])


def mask_name(name: str) -> str:
    """张三丰 → 张*丰, 王五 → 王*, 欧阳娜娜 → 欧**娜: enough to confirm, not enough to identify."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def _register_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))


def qr_drawing(url: str, size: float):
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing

    widget = QrCodeWidget(url, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    return drawing


def certificate_pdf(membership: Membership) -> bytes:
    """Render the certificate; callers go through approvals.services so every download is audited."""
    from reportlab.graphics import renderPDF
    from reportlab.lib.colors import HexColor
    from reportlab.lib.pagesizes import A5, landscape
    from reportlab.pdfgen import canvas

    _register_font()
    width, height = landscape(A5)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(width, height), pageCompression=1)
    pdf.setTitle(_("会员证") + f" {membership.number}")
    pdf.setAuthor(membership.org.name)

    red = HexColor("#b71c1c")
    pdf.setStrokeColor(red)
    pdf.setLineWidth(3)
    pdf.rect(18, 18, width - 36, height - 36)
    pdf.setLineWidth(0.8)
    pdf.rect(26, 26, width - 52, height - 52)

    pdf.setFillColor(red)
    pdf.setFont(CJK_FONT, 28)
    pdf.drawCentredString(width / 2, height - 78, _("会 员 证"))
    pdf.setFont(CJK_FONT, 12)
    pdf.drawCentredString(width / 2, height - 100, membership.org.name)

    pdf.setFillColor(HexColor("#222222"))
    level = Org.Level(membership.level).label if membership.level in Org.Level.values else membership.level
    rows = [
        (_("姓　　名"), membership.person.name),
        (_("会员编号"), membership.number or ""),
        (_("所属组织"), membership.org.name),
        (_("会员级别"), f"{level}{_('个人会员')}（{membership.get_grade_display()}）"),
        (_("入会日期"), membership.joined_on.strftime("%Y年%m月%d日")),
    ]
    y = height - 150
    for label, value in rows:
        pdf.setFont(CJK_FONT, 13)
        pdf.drawString(60, y, f"{label}：")
        pdf.setFont(CJK_FONT, 14)
        pdf.drawString(140, y, value)
        y -= 30

    url = verify_url(membership)
    qr_size = 110
    renderPDF.draw(qr_drawing(url, qr_size), pdf, width - 60 - qr_size, 95)
    pdf.setFont(CJK_FONT, 9)
    pdf.drawCentredString(width - 60 - qr_size / 2, 84, _("扫码验证会员证真伪"))
    pdf.setFont("Helvetica", 6)
    pdf.drawString(60, 40, url)
    pdf.setFont(CJK_FONT, 10)
    pdf.drawString(60, 52, _("本证由科协个人会员系统签发，可通过二维码或下方网址核验。"))
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
