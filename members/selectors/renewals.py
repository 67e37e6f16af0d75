"""The membership year (会籍年度): renewal windows and which year a member may renew for."""

from dataclasses import dataclass
from datetime import date

from django.conf import settings

from members.models import Membership, Renewal, RenewalWindow
from orgs.models import Org

MonthDay = tuple[int, int]


@dataclass(frozen=True)
class Window:
    opens: MonthDay
    closes: MonthDay

    def dates(self, year: int) -> tuple[date, date]:
        """The window of membership year `year`: it closes in `year` and opens before that (in year-1 when
        the opening month-day falls after the closing one, as with the default 1 Nov – 31 Mar)."""
        opens_year = year - 1 if self.opens > self.closes else year
        return date(opens_year, *self.opens), date(year, *self.closes)

    def year_open_on(self, day: date) -> int | None:
        """The membership year whose window contains `day`, if any."""
        for year in (day.year, day.year + 1):
            opens, closes = self.dates(year)
            if opens <= day <= closes:
                return year
        return None


def default_window() -> Window:
    opens, closes = settings.KEXIE_RENEWAL_WINDOW
    return Window(tuple(opens), tuple(closes))


def window_of(org: Org) -> Window:
    row = RenewalWindow.objects.filter(org=org).first()
    return Window((row.opens_month, row.opens_day), (row.closes_month, row.closes_day)) if row else default_window()


def windows_by_org() -> dict[int, Window]:
    """Every organisation's own window (others use default_window()), in one query for the nightly job."""
    return {
        row.org_id: Window((row.opens_month, row.opens_day), (row.closes_month, row.closes_day))
        for row in RenewalWindow.objects.all()
    }


RENEWABLE_STATUSES = (Membership.Status.ACTIVE, Membership.Status.PENDING_RENEWAL)


def renewable_year(membership: Membership, *, today: date, window: Window | None = None) -> int | None:
    """The year this member may renew for today: the year whose window is open, or — late — the current
    year while they are not renewed for it; None when there is nothing to renew."""
    if membership.status not in RENEWABLE_STATUSES:
        return None
    window = window or window_of(membership.org)
    valid_through = membership.valid_through or membership.joined_on.year
    year = window.year_open_on(today)
    if year is not None and valid_through < year:
        return year
    if valid_through < today.year:
        return today.year
    return None


@dataclass
class RenewalLine:
    membership: Membership
    year: int | None
    window: Window
    renewal: Renewal | None

    @property
    def window_dates(self) -> tuple[date, date] | None:
        return self.window.dates(self.year) if self.year else None


def renewals_of_person(person, *, today: date) -> list[RenewalLine]:
    memberships = list(
        Membership.objects.filter(person=person, status__in=(*RENEWABLE_STATUSES, Membership.Status.LAPSED))
        .select_related("org")
        .order_by("pk")
    )
    renewals = {(r.membership_id, r.year): r for r in Renewal.objects.filter(membership__in=memberships)}
    lines = []
    for m in memberships:
        window = window_of(m.org)
        year = renewable_year(m, today=today, window=window)
        lines.append(RenewalLine(membership=m, year=year, window=window, renewal=renewals.get((m.pk, year))))
    return lines
