"""The breaking-change check of the /v1 contract, on small documents: each kind of break is
named, and additions pass."""

from __future__ import annotations

import copy

from services.api.compat import breaking_changes

BASE = {
    "paths": {"/v1/things": {
        "get": {"parameters": [{"in": "query", "name": "q", "required": False, "schema": {"type": "string"}},
                               {"in": "query", "name": "kind", "required": False, "schema": {"enum": ["a", "b"]}}],
                "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Page"}}}}}},
        "post": {"requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ThingIn"}}}},
                 "responses": {"201": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}}}}}},
    "components": {"schemas": {
        "Page": {"type": "object", "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Thing"}}}},
        "Thing": {"type": "object", "properties": {"id": {"type": "string"}, "depth": {"type": "integer"}}},
        "ThingIn": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"},
                                                                          "depth": {"anyOf": [{"type": "integer"}, {"type": "null"}]}}}}},
}


def _changed(fn) -> list[str]:
    doc = copy.deepcopy(BASE)
    fn(doc)
    return breaking_changes(BASE, doc)


def test_the_same_document_and_additions_break_nothing():
    assert breaking_changes(BASE, BASE) == []

    def add(doc):
        doc["paths"]["/v1/new"] = {"get": {"responses": {}}}
        doc["paths"]["/v1/things"]["get"]["parameters"].append({"in": "query", "name": "page", "required": False, "schema": {"type": "integer"}})
        doc["components"]["schemas"]["Thing"]["properties"]["lease"] = {"type": "string"}
        doc["components"]["schemas"]["ThingIn"]["properties"]["note"] = {"type": "string"}
        doc["paths"]["/v1/things"]["get"]["parameters"][1]["schema"]["enum"].append("c")
    assert _changed(add) == []


def test_removed_operations_parameters_and_response_fields_are_named():
    assert _changed(lambda d: d["paths"]["/v1/things"].pop("post")) == ["POST /v1/things: removed"]
    assert _changed(lambda d: d["paths"]["/v1/things"]["get"]["parameters"].pop(0)) == ["GET /v1/things: parameter q removed"]
    got = _changed(lambda d: d["components"]["schemas"]["Thing"]["properties"].pop("depth"))
    assert "GET /v1/things 200.items[].depth: removed or renamed" in got and "POST /v1/things 201.depth: removed or renamed" in got


def test_new_required_inputs_and_narrowed_request_types_are_breaking():
    def required_param(doc):
        doc["paths"]["/v1/things"]["get"]["parameters"][0]["required"] = True
    assert _changed(required_param) == ["GET /v1/things: parameter q newly required"]

    def required_field(doc):
        doc["components"]["schemas"]["ThingIn"]["required"].append("depth")
    assert _changed(required_field) == ["POST /v1/things body.depth: newly required"]

    def narrowed(doc):
        doc["components"]["schemas"]["ThingIn"]["properties"]["depth"] = {"type": "integer"}
    assert _changed(narrowed) == ["POST /v1/things body.depth: accepts ['integer'] where it accepted ['integer', 'null']"]

    def fewer_values(doc):
        doc["paths"]["/v1/things"]["get"]["parameters"][1]["schema"]["enum"] = ["a"]
    assert _changed(fewer_values) == ["GET /v1/things parameter kind: no longer accepts ['b']"]


def test_a_response_field_that_may_now_be_null_is_breaking():
    def widened(doc):
        doc["components"]["schemas"]["Thing"]["properties"]["id"] = {"anyOf": [{"type": "string"}, {"type": "null"}]}
    assert "POST /v1/things 201.id: may now be ['null']" in _changed(widened)


def test_a_deprecation_gives_at_least_a_year_of_notice_and_its_headers():
    from datetime import UTC, datetime

    from services.api import deprecations as d

    soon = d.Deprecated("GET", "/v1/x", datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC), "GET /v1/y", "")
    assert d.problems((soon,)) == ["GET /v1/x: sunset 2026-06-01 is less than 365 days after 2026-01-01"]
    assert d.problems(d.REGISTRY) == []
    h = d.headers(soon, "https://app.example/")
    assert h["Deprecation"] == "@1767225600" and h["Sunset"] == "Mon, 01 Jun 2026 00:00:00 GMT"
    assert h["Link"] == '<https://app.example/v1/changelog>; rel="deprecation"; type="application/json"'
