"""PURE: what in a new OpenAPI document breaks clients written against an old one.

Breaking: an operation removed; a parameter removed, or newly required; a request body field
removed (bodies refuse unknown fields, so an old client's request would fail) or newly
required; a request field or parameter whose types or enum values narrowed; a response field
removed (or renamed: the old name is gone) or whose types widened (a client that never saw
null gets null). Additions are not breaking: new operations, optional parameters, optional
request fields, new response fields."""

from __future__ import annotations

METHODS = ("get", "post", "put", "patch", "delete")


def _resolve(doc: dict, schema: dict | None) -> dict:
    seen = 0
    while schema and "$ref" in schema and seen < 20:
        name = schema["$ref"].rsplit("/", 1)[1]
        schema = doc.get("components", {}).get("schemas", {}).get(name, {})
        seen += 1
    return schema or {}


def _variants(doc: dict, schema: dict) -> list[dict]:
    schema = _resolve(doc, schema)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return [v for s in schema[key] for v in _variants(doc, s)]
    return [schema]


def _types(doc: dict, schema: dict) -> set[str]:
    out = set()
    for v in _variants(doc, schema):
        t = v.get("type")
        if isinstance(t, list):
            out |= set(t)
        elif t:
            out.add(t)
        elif "properties" in v or "additionalProperties" in v:
            out.add("object")
        elif v.get("const") is not None:
            out.add(type(v["const"]).__name__)
        else:
            out.add("any")
    return out


def _enum(doc: dict, schema: dict) -> set | None:
    values: set = set()
    for v in _variants(doc, schema):
        if "enum" in v:
            values |= set(map(str, v["enum"]))
        elif "const" in v:
            values.add(str(v["const"]))
        elif v.get("type") != "null":
            return None  # some variant takes any value
    return values or None


def _object(doc: dict, schema: dict) -> dict:
    """The object variant of a schema (properties, required), if any."""
    for v in _variants(doc, schema):
        if "properties" in v:
            return v
    return {}


def _compare_request(doc_old: dict, doc_new: dict, old: dict, new: dict, where: str, out: list[str], depth: int = 0) -> None:
    t_old, t_new = _types(doc_old, old), _types(doc_new, new)
    if "any" not in t_new and not t_old <= t_new:
        out.append(f"{where}: accepts {sorted(t_new)} where it accepted {sorted(t_old)}")
    e_old, e_new = _enum(doc_old, old), _enum(doc_new, new)
    if e_new is not None and (e_old is None or not e_old <= e_new):
        out.append(f"{where}: no longer accepts {sorted((e_old or {'any'}) - e_new)}")
    o_old, o_new = _object(doc_old, old), _object(doc_new, new)
    if depth > 6 or not o_old or not o_new:
        return
    req_old, req_new = set(o_old.get("required", [])), set(o_new.get("required", []))
    for name in sorted(req_new - req_old):
        out.append(f"{where}.{name}: newly required")
    for name, sub in o_old.get("properties", {}).items():
        if name not in o_new.get("properties", {}):
            out.append(f"{where}.{name}: removed (old clients that send it are refused)")
        else:
            _compare_request(doc_old, doc_new, sub, o_new["properties"][name], f"{where}.{name}", out, depth + 1)


def _compare_response(doc_old: dict, doc_new: dict, old: dict, new: dict, where: str, out: list[str], depth: int = 0) -> None:
    t_old, t_new = _types(doc_old, old), _types(doc_new, new)
    if "any" not in t_old and not t_new <= t_old:
        out.append(f"{where}: may now be {sorted(t_new - t_old)}")
    if depth > 6:
        return
    items_old, items_new = _resolve(doc_old, old).get("items"), _resolve(doc_new, new).get("items")
    if items_old and items_new:
        _compare_response(doc_old, doc_new, items_old, items_new, f"{where}[]", out, depth + 1)
    o_old, o_new = _object(doc_old, old), _object(doc_new, new)
    for name, sub in o_old.get("properties", {}).items():
        if name not in o_new.get("properties", {}):
            out.append(f"{where}.{name}: removed or renamed")
        else:
            _compare_response(doc_old, doc_new, sub, o_new["properties"][name], f"{where}.{name}", out, depth + 1)


def _json(content: dict | None) -> dict | None:
    for media, body in (content or {}).items():
        if "json" in media:
            return body.get("schema", {})
    return None


def breaking_changes(old: dict, new: dict) -> list[str]:
    out: list[str] = []
    for path, ops in old.get("paths", {}).items():
        for method in METHODS:
            if method not in ops:
                continue
            name = f"{method.upper()} {path}"
            op_new = new.get("paths", {}).get(path, {}).get(method)
            if op_new is None:
                out.append(f"{name}: removed")
                continue
            op_old = ops[method]
            params_new = {(p["in"], p["name"]): p for p in op_new.get("parameters", [])}
            params_old = {(p["in"], p["name"]): p for p in op_old.get("parameters", [])}
            for key, p in params_old.items():
                if key not in params_new:
                    out.append(f"{name}: parameter {key[1]} removed")
                else:
                    _compare_request(old, new, p.get("schema", {}), params_new[key].get("schema", {}), f"{name} parameter {key[1]}", out)
            for key, p in params_new.items():
                if p.get("required") and not params_old.get(key, {}).get("required"):
                    out.append(f"{name}: parameter {key[1]} newly required")
            body_old, body_new = _json(op_old.get("requestBody", {}).get("content")), _json(op_new.get("requestBody", {}).get("content"))
            if body_new is not None and body_old is None and op_new.get("requestBody", {}).get("required"):
                out.append(f"{name}: now needs a request body")
            if body_old is not None and body_new is not None:
                _compare_request(old, new, body_old, body_new, f"{name} body", out)
            for status, resp in op_old.get("responses", {}).items():
                if not status.startswith("2"):
                    continue
                r_new = op_new.get("responses", {}).get(status)
                if r_new is None:
                    out.append(f"{name}: no longer answers {status}")
                    continue
                s_old, s_new = _json(resp.get("content")), _json(r_new.get("content"))
                if s_old is not None and s_new is not None:
                    _compare_response(old, new, s_old, s_new, f"{name} {status}", out)
    return out
