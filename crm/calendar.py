from datetime import date, timedelta


def add_business_days(day: date, days: int) -> date:
    """``day`` moved forward by ``days`` working days, Monday to Friday. Public holidays are not
    known to the app."""
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day
