"""Tool arguments checked against JSON Schema with `jsonschema` (Draft 2020-12)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MAX_PROBLEMS = 10


class JsonSchemaArgumentValidator:
    # jsonschema (and its referencing stack) is imported on first use: most processes
    # never validate a tool call, and it weighs several megabytes of resident memory.

    def problems(self, schema: Mapping[str, Any], arguments: Any) -> list[str]:
        from jsonschema import Draft202012Validator
        from jsonschema.exceptions import SchemaError

        try:
            validator = Draft202012Validator(dict(schema))
            errors = sorted(
                validator.iter_errors(arguments), key=lambda error: [str(p) for p in error.path]
            )
        except SchemaError:
            return ["The tool's parameter schema is not valid."]
        return [_describe(error.absolute_path, error.message) for error in errors][:MAX_PROBLEMS]

    def schema_problems(self, schema: Mapping[str, Any]) -> list[str]:
        from jsonschema import Draft202012Validator
        from jsonschema.exceptions import SchemaError

        try:
            Draft202012Validator.check_schema(dict(schema))
        except SchemaError as error:
            return [f"Not a valid JSON Schema: {error.message}"]
        return []


def _describe(path: Any, message: str) -> str:
    where = "/".join(str(part) for part in path)
    return f"{where}: {message}" if where else message
