"""Session tokens: HS256 JWTs carrying the user id, verified strictly.

Only HS256 is accepted on the way in, so `alg: none` and RS/HS key-confusion tokens fail like any
tampered one.
"""

from __future__ import annotations

from datetime import timedelta

import jwt

from automl_core.errors import Unauthorized
from automl_core.ports import Clock

ALGORITHM = "HS256"
SESSION_LIFETIME = timedelta(days=7)
ISSUER = "automl-platform"


class JwtTokenService:
    def __init__(self, secret: str, clock: Clock, lifetime: timedelta = SESSION_LIFETIME) -> None:
        self.secret = secret
        self.clock = clock
        self.lifetime = lifetime

    def issue(self, user_id: str) -> str:
        now = self.clock.now()
        claims = {"sub": user_id, "iss": ISSUER, "iat": now, "exp": now + self.lifetime}
        return jwt.encode(claims, self.secret, algorithm=ALGORITHM)

    def verify(self, token: str) -> str:
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
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise Unauthorized("the session token is not valid; sign in again")
        return subject
