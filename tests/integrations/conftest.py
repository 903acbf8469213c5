import pytest
from rest_framework.test import APIClient

from integrations.tokens import api_token_create
from tests.security.endpoints import make_world


@pytest.fixture
def world(alices_client, alice, bob):
    return make_world(alices_client, alice, bob)


@pytest.fixture
def api():
    """``api(user, scope)``: an API client authenticated with a fresh personal access token."""

    def connect(user, scope: str = "write") -> APIClient:
        _, raw = api_token_create(user=user, name="Test", scope=scope)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    return connect
