"""schemathesis against /api/v1/openapi.json: whatever it sends, the API
answers as its document says and never with a 5xx.  Half the cases of an
operation on a ticket name a ticket that exists, so its replies, calls
and view run on the bodies schemathesis makes, not only the 404."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


def test_api_matches_its_document(app, api, api_token) -> None:  # type: ignore[no-untyped-def]
    made = api.post("/enquiries", json={"email": "a@example.org", "body": "Milloin haku alkaa?"})
    assert made.status_code == 201, made.get_json()
    number = made.get_json()["ticket"]["number"]
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {api_token}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 5
    assert any("{number}" in operation.path for operation in operations)
    for operation in operations:

        @given(case=operation.as_strategy(), existing=st.booleans())
        @settings(
            max_examples=25,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        def exercise(case, existing):  # type: ignore[no-untyped-def]
            if existing and case.path_parameters and "number" in case.path_parameters:
                case.path_parameters["number"] = number
            case.call_and_validate(headers=headers, checks=CHECKS)

        exercise()
