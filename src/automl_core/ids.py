"""Identifiers are random UUIDs rendered as strings, as the API exposes them."""

import uuid


def new_id() -> str:
    return str(uuid.uuid4())
