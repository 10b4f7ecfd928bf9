import re
import uuid

from servicekit import idempotency
from servicekit.schema import IDEMPOTENCY_KEY, gateway_responses, typed_nullable_objects

ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}


def test_the_gateway_s_answers_are_documented_where_they_can_come() -> None:
    document = {
        "paths": {
            "/bank/api/deposits/": {
                "post": {"requestBody": {}, "responses": {"201": {}, "400": {}}},
                "parameters": [],
            },
            "/bank/api/whoami/": {"get": {"responses": {"200": {}}}},
            "/bank/health/": {"get": {"responses": {"200": {}}}},
        }
    }
    paths = gateway_responses(document, generator=None, request=None, public=True)["paths"]
    deposits = paths["/bank/api/deposits/"]["post"]["responses"]
    assert list(deposits) == ["201", "400", "413", "429", "503"]
    assert all(deposits[status]["content"] == ERROR for status in ("413", "429", "503"))
    assert list(paths["/bank/api/whoami/"]["get"]["responses"]) == ["200", "429", "503"]  # no body, no 413
    assert list(paths["/bank/health/"]["get"]["responses"]) == ["200"]  # not rate limited


def test_a_response_the_view_documents_is_kept() -> None:
    own = {"description": "Locked out after repeated failures.", "content": ERROR}
    document = {"paths": {"/auth/api/token/": {"post": {"requestBody": {}, "responses": {"429": own}}}}}
    responses = gateway_responses(document, generator=None, request=None, public=True)["paths"]["/auth/api/token/"]
    assert responses["post"]["responses"]["429"] is own


def test_the_documented_idempotency_key_is_the_one_accepted() -> None:
    documented = re.compile(IDEMPOTENCY_KEY.pattern or "")
    for key in ["a", "x" * 255, "x" * 256, "", "with space", "caf\u00e9", "!~", "tab\t", str(uuid.uuid4())]:
        assert bool(documented.fullmatch(key)) == bool(idempotency._VALID_KEY.fullmatch(key)), key


def test_no_token_is_documented_only_where_every_permission_lets_anyone_read() -> None:
    from drf_spectacular.plumbing import ComponentRegistry
    from rest_framework.views import APIView

    from servicekit.permissions import IsStaffOrReadOnly, IsUser
    from servicekit.schema import AutoSchema

    def security(permission_classes: list[type], method: str) -> list[dict[str, list[str]]]:
        view = type("View", (APIView,), {"permission_classes": permission_classes})()
        schema = AutoSchema()
        schema.view, schema.method, schema.registry = view, method, ComponentRegistry()
        return schema.get_auth()

    assert security([IsStaffOrReadOnly], "GET") == [{"bearerAuth": []}, {}]
    assert security([IsStaffOrReadOnly], "POST") == [{"bearerAuth": []}]
    assert security([IsStaffOrReadOnly, IsUser], "GET") == [{"bearerAuth": []}]


def test_a_nullable_reference_to_an_object_is_written_out_with_its_type() -> None:
    summary = {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]}
    summary_reference = {"$ref": "#/components/schemas/Summary"}
    reference = {"allOf": [summary_reference], "readOnly": True, "nullable": True}
    tree = {"allOf": [{"$ref": "#/components/schemas/Tree"}], "nullable": True}
    document = {
        "components": {
            "schemas": {
                "Summary": summary,
                "Tree": {"type": "object", "properties": {"parent": tree}},
                "Product": {"type": "object", "properties": {"category": reference}},
                "Line": {"type": "object", "properties": {"product": {"allOf": [summary_reference]}}},
            }
        }
    }
    schemas = typed_nullable_objects(document, generator=None, request=None, public=True)["components"]["schemas"]
    assert schemas["Product"]["properties"]["category"] == {**summary, "readOnly": True, "nullable": True}
    assert schemas["Line"]["properties"]["product"] == {"allOf": [summary_reference]}
    # A tree is written out one level, its own parent then refers to it as before.
    parent = schemas["Tree"]["properties"]["parent"]
    assert parent["type"] == "object" and parent["nullable"] is True
    assert parent["properties"]["parent"] == tree
