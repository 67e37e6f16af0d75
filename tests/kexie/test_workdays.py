"""Working days follow the Chinese holiday calendar with its make-up working days."""

from datetime import date

import pytest

from kexie.workdays import WorkdayCalendarMissing, add_working_days, is_workday, working_days_between


def test_spring_festival_2026_is_off_and_its_make_up_saturdays_are_working_days():
    assert not is_workday(date(2026, 2, 17))  # 春节
    assert is_workday(date(2026, 2, 14)) and is_workday(date(2026, 2, 28))  # 调休上班的星期六
    assert not is_workday(date(2026, 2, 21))  # an ordinary Saturday inside the holiday


def test_working_days_between_excludes_the_start_day_and_holidays():
    assert working_days_between(date(2026, 2, 13), date(2026, 2, 24)) == 2  # 2-14 and 2-24
    assert working_days_between(date(2026, 2, 24), date(2026, 2, 13)) == 0
    assert add_working_days(date(2026, 2, 13), 2) == date(2026, 2, 24)
    assert add_working_days(date(2026, 2, 13), 0) == date(2026, 2, 13)


def test_a_year_beyond_the_calendar_data_raises_a_clear_message():
    with pytest.raises(WorkdayCalendarMissing) as caught:
        working_days_between(date(2026, 12, 30), date(2099, 1, 5))
    assert "2027" in str(caught.value.message) and "chinesecalendar" in str(caught.value.message)
