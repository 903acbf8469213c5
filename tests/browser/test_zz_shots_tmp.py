import pytest
from django.urls import reverse

from crm.imports.services import records_import
from tests.browser.conftest import log_in
from tests.factories import PASSWORD, ClientFactory, FollowUpFactory

pytestmark = pytest.mark.browser
OUT = "/tmp/i12/shots"


def shoot(page, name):
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=f"{OUT}/{name}-{width}.png", full_page=True)


def test_shots(page, admin_user, alice, settings):
    acme = ClientFactory(name="Acme Logistics", owner=alice)
    data = ("client,kind,score,answered_at\n" + "Acme Logistics,nps,10,2024-05-05T12:00\n" * 3).encode()
    assert records_import(record_type="survey_answers", data=data, by=admin_user, file_name="history-2024.csv").saved
    FollowUpFactory(client=acme, title="Call Dana")
    log_in(page, admin_user.email, PASSWORD)
    page.goto(reverse("kpi_records", args=["brm", alice.pk, "nps"]) + "?period=2024-05")
    shoot(page, "drilldown-imported")
    page.goto(reverse("scorecard", args=["brm", alice.pk]) + "?period=9999-12")
    shoot(page, "scorecard-period-out-of-bounds")
    page.goto(reverse("client_detail", args=[acme.pk]) + "?form=follow_up_form")
    page.fill("#id_follow_up-title", "Bad date")
    page.fill("#id_follow_up-due_on", "0001-01-01")
    page.get_by_role("button", name="Add follow-up").click()
    page.wait_for_load_state("networkidle")
    shoot(page, "client-form-date-bounds")
    r = page.request.post(reverse("login"), data=b"username=a&password=b", headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-16"})
    page.set_content(r.text())
    shoot(page, "error-400-raw")
    page.context.clear_cookies()
    settings.PASSWORD_RESET_LIMIT_PER_ADDRESS = 0
    page.goto(reverse("password_reset"))
    page.get_by_label("Email").fill("x@example.com")
    page.get_by_role("button", name="Send reset link").click()
    page.wait_for_load_state("networkidle")
    shoot(page, "password-reset-throttled")
