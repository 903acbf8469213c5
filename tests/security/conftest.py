import pytest

from tests.security.endpoints import make_world


@pytest.fixture
def world(alices_client, alice, bob):
    return make_world(alices_client, alice, bob)
