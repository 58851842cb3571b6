"""Session tokens: HS256 JWTs carrying the user id, verified strictly.

Only HS256 is accepted on the way in, so `alg: none` and RS/HS key-confusion tokens fail like any
tampered one. A token lives at most the session lifetime from its `iat`, whatever its `exp` says, and
carries the user's session version (`ver`), which signing out raises (checked in `AuthService`).
"""

from __future__ import annotations

from datetime import timedelta

import jwt

from automl_core.errors import Unauthorized
from automl_core.ports import Clock
from automl_core.users import SessionClaims

ALGORITHM = "HS256"
SESSION_LIFETIME = timedelta(days=7)
LEEWAY = timedelta(seconds=60)
"""Clock skew tolerated between replicas on `iat` (a token issued a moment "in the future")."""
ISSUER = "automl-platform"


class JwtTokenService:
    def __init__(self, secret: str, clock: Clock, lifetime: timedelta = SESSION_LIFETIME) -> None:
        self.secret = secret
        self.clock = clock
        self.lifetime = lifetime

    def issue(self, user_id: str, session_version: int) -> str:
        now = self.clock.now()
        claims = {"sub": user_id, "ver": session_version, "iss": ISSUER, "iat": now, "exp": now + self.lifetime}
        return jwt.encode(claims, self.secret, algorithm=ALGORITHM)

    def verify(self, token: str) -> SessionClaims:
        try:
            claims = jwt.decode(
                token,
                self.secret,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={"require": ["sub", "exp", "iat", "iss"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("your session has expired; sign in again") from None
        except jwt.PyJWTError:
            raise Unauthorized("the session token is not valid; sign in again") from None
        subject, version, issued = claims.get("sub"), claims.get("ver", 0), claims.get("iat")
        if not isinstance(subject, str) or not subject or type(version) is not int or type(issued) is not int:
            raise Unauthorized("the session token is not valid; sign in again")
        age = self.clock.now().timestamp() - issued
        if age > (self.lifetime + LEEWAY).total_seconds():
            raise Unauthorized("your session has expired; sign in again")  # whatever its `exp` claims
        if age < -LEEWAY.total_seconds():
            raise Unauthorized("the session token is not valid; sign in again")
        return SessionClaims(user_id=subject, session_version=version)
