"""Working days by the Chinese public-holiday calendar, make-up working days (调休上班) included.

The calendar data comes from the `chinesecalendar` package, which knows each year only once the State Council
has published its holiday notice; a date past its data raises `WorkdayCalendarMissing` with a message saying
which year is missing, instead of silently counting weekends only.
"""

from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar
from django.utils.translation import gettext_lazy as _

from kexie.errors import DomainError


class WorkdayCalendarMissing(DomainError):
    default_message = _("工作日历缺少该年度的法定节假日数据，请升级 chinesecalendar 软件包后重试")

    def __init__(self, year: int):
        super().__init__(
            _("工作日历尚无 %(year)s 年的法定节假日安排（国务院办公厅通知发布后需升级 chinesecalendar 软件包）")
            % {"year": year}
        )
        self.year = year


@lru_cache(maxsize=4096)
def is_workday(day: date) -> bool:
    # The package's data is fixed for the life of the process; a missing year raises, which is not cached.
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        raise WorkdayCalendarMissing(day.year) from None


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start): a request handed in on
    a Friday and decided the next Monday took one working day."""
    if end <= start:
        return 0
    return sum(1 for n in range(1, (end - start).days + 1) if is_workday(start + timedelta(days=n)))


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start` (start itself when days is 0)."""
    day = start
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if is_workday(day):
            remaining -= 1
    return day
