"""People who sign in, and the external identities (provider + subject) that lead to them."""

from __future__ import annotations

from datetime import datetime

import msgspec


class User(msgspec.Struct, kw_only=True):
    id: str
    email: str
    name: str = ""
    picture: str | None = None
    created_at: datetime
    session_version: int = 0
    """Sessions carry the version they were issued under; signing out raises it, ending them all."""


class SessionClaims(msgspec.Struct, frozen=True):
    """What a verified session token says: whose it is and the session version it was issued under."""

    user_id: str
    session_version: int


class Identity(msgspec.Struct, frozen=True):
    """What an identity provider vouches for after a successful sign-in."""

    provider: str
    subject: str
    email: str
    name: str = ""
    picture: str | None = None
