from django.urls import reverse

from crm import health


def test_health_reports_database_and_broker_reachable(client, db):
    response = client.get(reverse("health"), {"format": "json"})
    assert response.status_code == 200
    body = response.json()
    assert body["healthy"] is True
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True


def test_health_is_503_when_the_broker_is_down(client, db, monkeypatch):
    monkeypatch.setattr(
        health, "check_broker", lambda: health.Check("broker", False, "ConnectionRefused")
    )
    response = client.get(reverse("health"))
    assert response.status_code == 503
    assert "ConnectionRefused" in response.content.decode()


def test_a_heartbeat_from_the_worker_shows_on_the_health_page(client, db):
    from crm.tasks import heartbeat

    heartbeat.apply()
    body = client.get(reverse("health"), {"format": "json"}).json()
    assert body["checks"]["worker and beat"]["ok"] is True
