from django.test import Client
from django.urls import reverse

from surveys.models import Response
from tests.surveys.helpers import csrf_from, links_in, score_link


def test_a_contact_answers_from_the_email_and_the_brm_sees_it_on_the_client_page(
    client, alice, alices_client, contact, sent, mailoutbox
):
    client.force_login(alice)
    with sent():
        queued = client.post(
            reverse("survey_send", args=[alices_client.pk]),
            {"contact": contact.pk, "kind": "nps"},
        )
    assert queued.status_code == 302
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["dana@acme.example"]
    html = mail.alternatives[0][0]
    assert "How likely are you to recommend us" in html
    assert all(f"?score={score}" in html for score in range(0, 11))
    assert mail.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert any(link.endswith("/unsubscribe/") for link in links_in(mail))

    browser = Client(enforce_csrf_checks=True)
    page = browser.get(score_link(mail, 9))
    assert page.status_code == 200
    assert 'value="9" autocomplete="off" required checked' in page.content.decode()
    assert not Response.objects.exists()

    with sent():
        answered = browser.post(
            score_link(mail, 9).split("?")[0],
            {
                "score": "9",
                "comment": "Fast and friendly, as always.",
                "may_quote": "on",
                "csrfmiddlewaretoken": csrf_from(page),
            },
        )
    assert answered.status_code == 302
    assert "Thank you" in browser.get(answered["Location"]).content.decode()

    client_page = client.get(reverse("client_detail", args=[alices_client.pk]))
    body = client_page.content.decode()
    assert "Fast and friendly, as always." in body
    assert "NPS 9" in body

    results = client.get(reverse("survey_results")).context["results"]
    assert results.nps.n == 1
    assert results.nps.value == 100
    assert (results.response_rate.answered, results.response_rate.delivered) == (1, 1)
