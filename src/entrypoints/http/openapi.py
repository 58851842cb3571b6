"""OpenAPI for the handlers that read the raw request (streamed uploads, JSON-or-CSV bodies).

Litestar documents a body from the handler's `data` parameter; these handlers have none, so their
request body is declared here to keep the served schema in step with API.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from litestar.openapi.spec import OpenAPIMediaType, Operation, Reference, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIType

BINARY_FILE = Schema(type=OpenAPIType.STRING, format="binary")  # type: ignore[arg-type]


def form(required: list[str], **fields: Schema | Reference) -> OpenAPIMediaType:
    """A multipart/form-data body with these fields."""
    return OpenAPIMediaType(schema=Schema(type=OpenAPIType.OBJECT, properties=fields, required=required))


def with_request_body(description: str, content: dict[str, OpenAPIMediaType]) -> type[Operation]:
    """An Operation class whose request body is `content` (media type -> body)."""

    @dataclass
    class OperationWithBody(Operation):
        def __post_init__(self) -> None:
            self.request_body = RequestBody(content=content, description=description, required=True)

    return OperationWithBody
