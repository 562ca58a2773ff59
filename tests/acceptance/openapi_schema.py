"""Validate JSON answers against the official OpenAI OpenAPI text (shared/openai/files-openapi.yaml).

The file is OpenAPI 3.1 with a few 3.0 leftovers; it is turned into plain JSON Schema (2020-12) once:

- `nullable: true` (3.0 keyword) becomes `anyOf: [<schema>, {"type": "null"}]`; inside `allOf` (as in
  `Upload.file`: `allOf: [{$ref: OpenAIFile}, {nullable: true}]`) the whole `allOf` becomes nullable.
- `x-*`, `example`, `deprecated` are annotations only and are dropped; unknown `format`s (`unixtime`) are
  not asserted by jsonschema.

Documented allowances where the published text is stricter than the real service and the SDK:

- An optional property (not in `required`) may be `null`: the real service sends `"expires_at": null` and
  `"status_details": null`, and the SDK models both as `Optional`.
- `OpenAIFile.purpose` also accepts `evals`, which `CreateFileRequest.purpose` accepts (the extract's
  File enum lags behind its own create enum).
- `ListFilesResponse.first_id` / `last_id` may be `null` (an empty page has neither); the tests check
  that they equal the first/last item's id whenever the page is not empty.
"""

from __future__ import annotations

import copy
import functools
import os
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from checkout import REPO_ROOT

DEFAULT_SPEC = REPO_ROOT.parent / "shared" / "openai" / "files-openapi.yaml"

_ANNOTATIONS = {"example", "examples", "deprecated", "nullable"}


def spec_path() -> Path:
    return Path(os.environ.get("MOCKFILES_OPENAPI", DEFAULT_SPEC))


def _convert(node: Any) -> Any:
    """OpenAPI schema object -> JSON Schema 2020-12."""
    if isinstance(node, list):
        return [_convert(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _convert(v) for k, v in node.items() if not k.startswith("x-") and k not in _ANNOTATIONS}
    all_of = node.get("allOf")
    if isinstance(all_of, list):
        marker = [m for m in all_of if isinstance(m, dict) and m.get("nullable") is True and set(m) <= {"nullable", "description", "title"}]
        if marker:
            rest = [_convert(m) for m in all_of if not any(m is x for x in marker)]
            del out["allOf"]
            out["anyOf"] = [{"allOf": rest}, {"type": "null"}]
    if node.get("nullable") is True:
        out = {"anyOf": [out, {"type": "null"}]}
    return out


def _or_null(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _allow_null_optionals(schema: dict[str, Any]) -> None:
    props = schema.get("properties")
    if not isinstance(props, dict):
        return
    required = set(schema.get("required", []))
    for name, sub in props.items():
        if name not in required:
            props[name] = _or_null(sub)


@functools.cache
def components() -> dict[str, Any]:
    path = spec_path()
    if not path.is_file():
        raise FileNotFoundError(
            f"official OpenAPI text not found at {path}; CI keeps shared/ beside the repo clone, "
            "or set MOCKFILES_OPENAPI to the file"
        )
    doc = yaml.safe_load(path.read_text())
    schemas = {name: _convert(s) for name, s in doc["components"]["schemas"].items()}
    for s in schemas.values():
        _allow_null_optionals(s)
    purpose = schemas["OpenAIFile"]["properties"]["purpose"]  # required, so not wrapped above
    if "evals" not in purpose["enum"]:
        purpose["enum"] = [*purpose["enum"], "evals"]
    page = schemas["ListFilesResponse"]["properties"]
    for key in ("first_id", "last_id"):
        page[key] = _or_null(page[key])
    return {"schemas": schemas}


@functools.cache
def validator(name: str) -> jsonschema.protocols.Validator:
    comps = components()
    if name not in comps["schemas"]:
        raise KeyError(f"no schema {name!r} in {spec_path()}")
    root = {"$schema": "https://json-schema.org/draft/2020-12/schema", "components": copy.deepcopy(comps), "$ref": f"#/components/schemas/{name}"}
    cls = jsonschema.validators.validator_for(root)
    cls.check_schema(root)
    return cls(root)


def schema_errors(name: str, instance: Any) -> list[str]:
    """Every way `instance` breaks the official schema `name` (empty when it conforms)."""
    errs = sorted(validator(name).iter_errors(instance), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errs]


def assert_matches(name: str, instance: Any) -> None:
    errors = schema_errors(name, instance)
    assert not errors, f"answer does not match official schema {name}: {errors}\n{instance!r}"
