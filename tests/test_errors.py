from django.test import override_settings

from crm.errors import server_error


def test_an_unknown_page_gets_a_readable_404_in_the_site_layout(client, alice):
    client.force_login(alice)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "404 · Nothing here" in body
    assert "Back to home" in body


@override_settings(DEBUG=False)
def test_a_server_error_page_does_not_depend_on_the_request(rf):
    response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


def test_every_page_sends_a_content_security_policy_without_inline_scripts(client, db):
    response = client.get("/accounts/login/")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "<script>" not in response.content.decode()
