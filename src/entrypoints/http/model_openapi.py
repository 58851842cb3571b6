"""One model's predict operation as its own OpenAPI document, the row schema embedded in the body.

The served `/schema/openapi.json` is one document for everyone and for every version of the API; a
model is private to its owner and new ones appear with every run, so its row schema cannot live
there. Instead each model answers this small document (owner only), which code generators and API
clients can read to get typed prediction calls for exactly that model.
"""

from __future__ import annotations

from typing import Any

from automl_core.models import ModelRecord, row_schema


def model_openapi(model: ModelRecord, server: str) -> dict[str, Any]:
    row = row_schema(model.name, model.features)
    row.pop("$schema", None)
    prediction: dict[str, Any] = (
        {"type": "string", "enum": [str(c) for c in model.classes]} if model.classes else {"type": "number"}
    )
    return {
        "openapi": "3.1.0",
        "info": {"title": f"Predict with {model.name}", "version": model.id},
        "servers": [{"url": server}],
        "components": {
            "schemas": {"Row": row},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
        "paths": {
            f"/api/models/{model.id}/predict": {
                "post": {
                    "summary": f"Predict `{model.target or 'a cluster'}` with {model.name}",
                    "parameters": [
                        {"name": "explain", "in": "query", "required": False, "schema": {"type": "boolean"}}
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "rows": {"type": "array", "items": {"$ref": "#/components/schemas/Row"}}
                                    },
                                    "required": ["rows"],
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "One prediction per row",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {"predictions": {"type": "array", "items": prediction}},
                                        "required": ["predictions"],
                                    }
                                }
                            },
                        },
                        "422": {"description": "Rows that do not fit, each problem by row and column"},
                    },
                }
            }
        },
    }
