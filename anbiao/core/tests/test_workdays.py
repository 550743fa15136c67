"""Working-day arithmetic on the official calendar: 国庆 and 春节 with their 调休 make-up days."""

from datetime import date

from anbiao.core.workdays import (
    add_working_days,
    is_working_day,
    remaining_label,
    uncovered_years,
    working_days_between,
)


def test_national_day_2025_holidays_are_off_and_the_saturday_make_up_day_is_on():
    assert not is_working_day(date(2025, 10, 1))
    assert not is_working_day(date(2025, 10, 8))
    assert is_working_day(date(2025, 9, 28))  # Sunday, 调休上班
    assert is_working_day(date(2025, 10, 11))  # Saturday, 调休上班
    assert not is_working_day(date(2025, 10, 12))  # an ordinary Sunday


def test_five_working_days_from_before_national_day_skip_the_whole_holiday():
    # Fri 26 Sep 2025 + 5: Sun 28 (调休), Mon 29, Tue 30, then 1–8 Oct off, Thu 9, Fri 10.
    assert add_working_days(date(2025, 9, 26), 5) == date(2025, 10, 10)
    # Counted from the last working day before the holiday, the make-up Saturday is used.
    assert add_working_days(date(2025, 10, 9), 2) == date(2025, 10, 11)


def test_working_days_across_spring_festival_2026_and_its_make_up_days():
    # 春节 2026: 15–23 Feb off; Sat 14 Feb and Sat 28 Feb are 调休 working days.
    assert is_working_day(date(2026, 2, 14))
    assert not is_working_day(date(2026, 2, 16))
    assert is_working_day(date(2026, 2, 28))
    # Fri 13 Feb + 3: Sat 14 (调休), then the holiday, Tue 24, Wed 25.
    assert add_working_days(date(2026, 2, 13), 3) == date(2026, 2, 25)
    assert working_days_between(date(2026, 2, 13), date(2026, 2, 25)) == 3
    assert working_days_between(date(2026, 2, 25), date(2026, 2, 13)) == -3


def test_zero_days_moves_a_holiday_to_the_next_working_day():
    assert add_working_days(date(2026, 10, 3), 0) == date(2026, 10, 8)
    assert add_working_days(date(2026, 10, 9), 0) == date(2026, 10, 9)


def test_remaining_label_reads_like_the_office_says_it():
    assert remaining_label(date(2025, 10, 10), date(2025, 9, 30)) == "剩余 2 个工作日"
    assert remaining_label(date(2025, 10, 10), date(2025, 10, 10)) == "今日到期"
    assert remaining_label(date(2025, 10, 9), date(2025, 10, 13)) == "已逾期 3 个工作日"


def test_a_year_beyond_the_calendar_falls_back_to_weekends_and_is_reported():
    assert uncovered_years(date(2026, 5, 1), date(2099, 10, 1)) == [2099]
    assert not is_working_day(date(2099, 10, 3))  # Saturday
    assert is_working_day(date(2099, 10, 1))  # Thursday: no holiday known, so a working day
    assert add_working_days(date(2099, 10, 2), 1) == date(2099, 10, 5)
