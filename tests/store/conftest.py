import pytest
from tests.support.platform_world import empty, migrated_database, postgres_unreachable

_REASON = postgres_unreachable()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_session(request, tmp_path_factory):
    if request.param == "postgresql" and _REASON:
        pytest.skip(_REASON)
    with migrated_database(request.param, tmp_path_factory.mktemp(request.param)) as db:
        yield db


@pytest.fixture
def db(database_session):
    empty(database_session)
    return database_session
