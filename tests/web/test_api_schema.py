"""The API's OpenAPI document is valid and says how to authenticate and what errors look like;
schemathesis, run in-process against it, finds no 5xx and no answer the document does not
declare (bounded: 25 derandomized examples per operation)."""

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from kaohe.store.accounts import issue_token
from kaohe.store.models import User

ERROR_BODY = {"$ref": "#/components/schemas/ErrorOut"}


def _document(app) -> dict:
    response = TestClient(app).get("/api/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_the_document_is_valid_and_declares_security_and_errors(app):
    document = _document(app)
    validate(document)
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"] == {**schemes["bearer"], "type": "http", "scheme": "bearer"}
    assert (schemes["session"]["in"], schemes["session"]["name"]) == ("cookie", "kaohe_session")
    assert (schemes["csrf"]["in"], schemes["csrf"]["name"]) == ("header", "X-CSRF-Token")
    error = document["components"]["schemas"]["ErrorOut"]
    assert error["required"] == ["detail"] and error["properties"]["detail"]["type"] == "string"
    operations = [
        (path, method, operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]
    assert {path for path, _, _ in operations} == {
        "/api/cycles",
        "/api/cycles/{cycle_id}/results",
        "/api/cycles/{cycle_id}/results/{unit_code}",
        "/api/cycles/{cycle_id}/findings",
        "/api/cycles/{cycle_id}/submissions/{source_id}",
        "/api/pivot",
    }  # the pages are not part of the API
    for path, method, operation in operations:
        for status in ("400", "401", "403", "404", "422"):
            body = operation["responses"][status]["content"]["application/json"]["schema"]
            assert body == ERROR_BODY, (path, status)
        if method == "get":
            assert operation["security"] == [{"bearer": []}, {"session": []}]
        else:
            assert operation["security"] == [{"bearer": []}, {"session": [], "csrf": []}]
            assert {"409", "413"} <= set(operation["responses"])


@pytest.fixture
def token(db, world):
    with db.write("admin", "token.issue") as session:
        user = session.scalar(select(User).where(User.username == "admin"))
        return issue_token(session, user, "schemathesis")


# schemathesis.pytest.from_fixture reads a private attribute pytest 9 no longer has: the
# operations are walked here, each with hypothesis, as its pytest plugin would.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_answers_as_its_document_says(app, token, mode):
    api = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    headers = {"authorization": f"Bearer {token}"}
    walked = []
    for found in api.get_all_operations():
        operation = found.ok()

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=25,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def answers(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        answers()
        walked.append(operation.label)
    assert len(walked) == 6
