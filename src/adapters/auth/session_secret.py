"""The session-signing secret when `JWT_SECRET` is unset: random, kept in the data directory.

Persisting it means sessions survive a restart of an embedded install; it is created with owner-only
permissions because whoever reads it can mint sessions.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from adapters.private_files import private_dir

SECRET_FILE = "jwt_secret"


def load_or_create_secret(data_dir: Path) -> str:
    path = data_dir / SECRET_FILE
    if path.exists():
        existing = path.read_text().strip()
        if existing:
            return existing
    private_dir(data_dir)
    secret = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secret)
    return secret
