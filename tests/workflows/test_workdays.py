import datetime

from workflows.workdays import add_working_days, is_working_day, working_days_between

D = datetime.date


def test_weekends_and_polish_public_holidays_are_not_working_days():
    assert not is_working_day(D(2026, 11, 21))  # Saturday
    assert not is_working_day(D(2026, 11, 11))  # Independence Day (a Wednesday)
    assert not is_working_day(D(2026, 4, 6))  # Easter Monday: movable, from the library
    assert not is_working_day(D(2026, 6, 4))  # Corpus Christi
    assert not is_working_day(D(2026, 12, 24))  # Christmas Eve, a holiday since 2025
    assert is_working_day(D(2026, 11, 12))


def test_adding_working_days_skips_weekends_and_holidays():
    assert add_working_days(D(2026, 11, 10), 1) == D(2026, 11, 12)  # over 11 November
    assert add_working_days(D(2026, 11, 20), 1) == D(2026, 11, 23)  # Friday → Monday
    assert add_working_days(D(2026, 12, 23), 1) == D(2026, 12, 28)  # over Christmas
    assert add_working_days(D(2026, 11, 21), 0) == D(2026, 11, 23)  # Saturday → Monday
    assert add_working_days(D(2026, 11, 23), -1) == D(2026, 11, 20)


def test_working_days_between_counts_the_age_of_an_item():
    assert working_days_between(D(2026, 11, 20), D(2026, 11, 23)) == 1
    assert working_days_between(D(2026, 11, 2), D(2026, 11, 16)) == 9  # 11 Nov is off
    assert working_days_between(D(2026, 11, 23), D(2026, 11, 20)) == -1


def test_working_days_between_agrees_with_counting_day_by_day():
    start = D(2024, 12, 20)
    for offset in range(0, 800, 7):
        end = start + datetime.timedelta(days=offset)
        slow = sum(is_working_day(start + datetime.timedelta(days=n)) for n in range(1, offset + 1))
        assert working_days_between(start, end) == slow, end
