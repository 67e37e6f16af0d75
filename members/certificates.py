"""The member certificate (会员证): a one-page Chinese PDF with a QR code to the public verification page.

The verification token is a signature over the membership id (django.core.signing, keyed by SECRET_KEY):
member numbers are printed and guessable in sequence, so the public page must not be reachable from a number.
"""

import io
import re

from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext as _

from members.models import Membership
from orgs.models import Org

# The salt keeps its original value: certificates already printed carry tokens signed with it.
TOKEN_SALT = "approvals.certificate.verify"
CJK_FONT = "STSong-Light"
# Latin letters and digits are set in a Latin face: the CJK font's own Latin glyphs are full-width-spaced and
# made "X2026-HB015-00017" read as "X 2026 - H B015". Helvetica is built into every PDF reader, no font file.
LATIN_FONT = "Helvetica"
_LATIN_RUN = re.compile(r"[\x20-\x7e]+")


def verify_token(membership: Membership) -> str:
    return signing.Signer(salt=TOKEN_SALT).sign(str(membership.pk))


def membership_id_from_token(token: str) -> int | None:
    try:
        return int(signing.Signer(salt=TOKEN_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None


def verify_url(membership: Membership, *, site: str) -> str:
    """The public verification address printed and encoded on the certificate; `site` from kexie.site.site_url."""
    return site.rstrip("/") + reverse("certificates:verify", args=[verify_token(membership)])


def membership_state(membership: Membership) -> tuple[bool, str]:
    """The live state printed on the certificate and shown on the verification page: 有效 with the year it
    is valid through, or 待续期 / 已失效 / 已退会 / 已转出 / 待重新登记."""
    if membership.status == Membership.Status.ACTIVE:
        through = membership.valid_through or membership.joined_on.year
        return True, _("有效（有效期至 %(year)s 年底）") % {"year": through}
    return False, str(membership.get_status_display())


def mask_name(name: str) -> str:
    """张三丰 → 张*丰, 王五 → 王*, 欧阳娜娜 → 欧**娜: enough to confirm, not enough to identify."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def register_cjk_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))


def text_runs(text: str) -> list[tuple[str, str]]:
    """The text cut into (font, run) pieces: printable ASCII in the Latin font, everything else in the CJK one."""
    runs, end = [], 0
    for match in _LATIN_RUN.finditer(text):
        if match.start() > end:
            runs.append((CJK_FONT, text[end : match.start()]))
        runs.append((LATIN_FONT, match.group()))
        end = match.end()
    if end < len(text):
        runs.append((CJK_FONT, text[end:]))
    return runs


def _text_width(text: str, size: float) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return sum(stringWidth(run, font, size) for font, run in text_runs(text))


def draw_text(pdf, x: float, y: float, text: str, size: float, *, centred: bool = False) -> None:
    # One text object switching fonts between runs, so the line still copies (and is extracted) as one line.
    if centred:
        x -= _text_width(text, size) / 2
    line = pdf.beginText(x, y)
    for font, run in text_runs(text):
        line.setFont(font, size)
        line.textOut(run)
    pdf.drawText(line)


def draw_label_rows(pdf, rows: list[tuple[str, str]], *, y: float, value_x: float, step: float) -> float:
    """Draw "label：value" lines downwards from y (the layout of certificates and receipts); the next free y."""
    for label, value in rows:
        draw_text(pdf, 60, y, f"{label}：", 12)
        draw_text(pdf, value_x, y, value, 13)
        y -= step
    return y


def qr_drawing(url: str, size: float):
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing

    widget = QrCodeWidget(url, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    return drawing


def certificate_pdf(membership: Membership, *, site: str) -> bytes:
    """Render the certificate; callers go through members.services.certificates so every download is audited.
    `site` is the public base address its QR code and printed link use (kexie.site.site_url)."""
    from reportlab.graphics import renderPDF
    from reportlab.lib.colors import HexColor
    from reportlab.lib.pagesizes import A5, landscape
    from reportlab.pdfgen import canvas

    register_cjk_font()
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
    draw_text(pdf, width / 2, height - 78, _("会 员 证"), 28, centred=True)
    draw_text(pdf, width / 2, height - 100, membership.org.name, 12, centred=True)

    pdf.setFillColor(HexColor("#222222"))
    level = Org.Level(membership.level).label if membership.level in Org.Level.values else membership.level
    rows = [
        (_("姓　　名"), membership.person.name),
        (_("会员编号"), membership.number or ""),
        (_("所属组织"), membership.org.name),
        (_("会员级别"), f"{level}{_('个人会员')}（{membership.get_grade_display()}）"),
        (_("入会日期"), membership.joined_on.strftime("%Y年%m月%d日")),
        (_("会籍状态"), membership_state(membership)[1]),
        (_("发证日期"), (membership.certificate_issued_on or membership.joined_on).strftime("%Y年%m月%d日")),
    ]
    draw_label_rows(pdf, rows, y=height - 140, value_x=140, step=24)

    url = verify_url(membership, site=site)
    qr_size = 110
    renderPDF.draw(qr_drawing(url, qr_size), pdf, width - 60 - qr_size, 95)
    draw_text(pdf, width - 60 - qr_size / 2, 84, _("扫码验证会员证真伪"), 9, centred=True)
    draw_text(pdf, 60, 52, _("本证由科协个人会员系统签发，可通过二维码或下方网址核验。"), 10)
    draw_text(pdf, 60, 38, url, 8)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
