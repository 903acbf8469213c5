"""Connecting other tools in a real browser: create an API token on the integrations page, then
open the API reference, whose vendored Swagger UI must render under the Content-Security-Policy.
Screenshots at desktop and phone widths go to test-artifacts/integrations/."""

import pytest
from playwright.sync_api import expect

from integrations.models import ApiToken
from tests.browser.conftest import ARTIFACTS, log_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_a_brm_creates_a_token_and_reads_the_api_reference(page, transactional_db, alice):
    # Swagger UI's bundle is 1.7 MB: allow a slow, shared machine to load it.
    page.set_default_timeout(30_000)
    refused = []
    page.on("console", lambda msg: refused.append(msg.text) if msg.type == "error" else None)
    log_in(page, alice.email, PASSWORD)
    page.goto("/integrations/")

    page.get_by_label("Name").fill("Outlook sync")
    page.get_by_label("Scope").select_option("write")
    page.get_by_role("button", name="Create token").click()

    token = ApiToken.objects.get(user=alice)
    expect(page.locator("[data-new-token]")).to_contain_text(token.prefix)
    expect(page.locator("[data-capture-address]")).to_contain_text("@capture.localhost")
    shots = ARTIFACTS / "integrations"
    shots.mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(shots / f"settings-{width}.png"), full_page=True)

    page.goto("/api/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text(
        "Truthful CRM API", timeout=60_000
    )
    expect(page.locator(".swagger-ui").get_by_text("/api/v1/deals/{id}/move/")).to_be_visible()
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(shots / f"api-reference-{width}.png"), full_page=False)
    assert not [m for m in refused if "Content Security Policy" in m], refused
