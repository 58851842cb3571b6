"""What a blob key looks like: the lowercase hex SHA-256 of the content."""

import re

from automl_core.errors import NotFound

CHUNK_SIZE = 1 << 20
_KEY = re.compile(r"[0-9a-f]{64}")


def checked(key: str) -> str:
    """Refuse anything but a SHA-256 hex digest, so a key can never name a path outside the store."""
    if not _KEY.fullmatch(key):
        raise NotFound("blob", key)
    return key
