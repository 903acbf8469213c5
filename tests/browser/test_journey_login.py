import pytest

from tests.browser.conftest import log_in
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.browser


def test_a_user_logs_in_and_out_in_a_real_browser(page, transactional_db):
    user = UserFactory(email="bea@example.com", full_name="Bea Morgan")
    log_in(page, user.email, PASSWORD)
    assert (
        page.get_by_role("button", name="Bea Morgan").is_visible()
        or page.get_by_text("Bea Morgan").first.is_visible()
    )
    page.get_by_text("Bea Morgan").first.click()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/accounts/login/")
    assert page.get_by_role("heading", name="Log in").is_visible()
