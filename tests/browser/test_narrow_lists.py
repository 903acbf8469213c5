"""The list pages on a phone (390 px wide): a wide table scrolls inside its own box, the page
itself never scrolls sideways."""

import pytest

from tests.browser.conftest import log_in
from tests.factories import (
    PASSWORD,
    ClientFactory,
    ContactFactory,
    DealFactory,
    FollowUpFactory,
    SupportIssueFactory,
)

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LISTS = ["/clients/", "/contacts/", "/today/", "/pipeline/", "/support/", "/worklist/"]


@pytest.mark.parametrize("who", ["alice", "maria"])
def test_no_list_page_scrolls_sideways_on_a_phone(request, page, transactional_db, alice, who):
    book = ClientFactory(owner=alice, name="Amber Communications Group International")
    ContactFactory(client=book)
    FollowUpFactory(client=book)
    DealFactory(client=book)
    SupportIssueFactory(client=book, title="Permissions reset after the latest update")
    user = request.getfixturevalue(who)
    page.set_viewport_size(PHONE)
    log_in(page, user.email, PASSWORD)

    widths = {}
    for url in LISTS:
        if page.goto(url).status == 200:
            widths[url] = page.evaluate("document.documentElement.scrollWidth")

    assert "/support/" in widths
    assert {url: width for url, width in widths.items() if width > PHONE["width"]} == {}
