"""Signing in: find or create the user behind an identity, and turn sessions into users."""

from __future__ import annotations

import msgspec

from automl_core.errors import NotFound, Unauthorized
from automl_core.ids import new_id
from automl_core.ports import Clock, TokenService
from automl_core.services import UowFactory
from automl_core.services.sessions import SessionCache
from automl_core.users import Identity, User


class AuthService:
    def __init__(
        self, uow: UowFactory, tokens: TokenService, clock: Clock, sessions: SessionCache | None = None
    ) -> None:
        self.uow = uow
        self.tokens = tokens
        self.clock = clock
        self.sessions = sessions or SessionCache()

    async def sign_in(self, identity: Identity) -> tuple[User, str]:
        """The user linked to (provider, subject), created on first sign-in; email and name kept current.

        A new identity whose (provider-verified) email belongs to a user joins that user: one person,
        one account, whichever way they sign in.
        """
        async with self.uow() as uow:
            user = await uow.users.find_by_identity(identity.provider, identity.subject)
            if user is None and (user := await uow.users.find_by_email(identity.email)) is not None:
                await uow.users.link_identity(user.id, identity.provider, identity.subject)
            if user is None:
                user = User(
                    id=new_id(),
                    email=identity.email,
                    name=identity.name,
                    picture=identity.picture,
                    created_at=self.clock.now(),
                )
                await uow.users.add(user)
                await uow.users.link_identity(user.id, identity.provider, identity.subject)
            else:
                current = msgspec.structs.replace(
                    user,
                    email=identity.email or user.email,
                    name=identity.name or user.name,
                    picture=identity.picture or user.picture,
                )
                if current != user:
                    await uow.users.update(current)
                user = current
            await uow.commit()
        self.sessions.forget_user(user.id)  # cached answers hold the name and email from before
        return user, self.tokens.issue(user.id, user.session_version)

    async def user_for_token(self, token: str) -> User:
        """The signed-in user; Unauthorized if the token is bad, its user gone, or the session ended."""
        claims = self.tokens.verify(token)
        now = self.clock.now()
        if (cached := self.sessions.get(token, now)) is not None:
            return cached
        async with self.uow() as uow:
            try:
                user = await uow.users.get(claims.user_id)
            except NotFound:
                raise Unauthorized("the session's user no longer exists") from None
        if claims.session_version != user.session_version:
            raise Unauthorized("you signed out of this session; sign in again")
        self.sessions.put(token, user, now)
        return user

    async def sign_out(self, token: str) -> None:
        """End every session of the token's user (a token that is no longer valid ends nothing)."""
        try:
            user = await self.user_for_token(token)
        except Unauthorized:
            return
        async with self.uow() as uow:
            await uow.users.end_sessions(user.id)
            await uow.commit()
        self.sessions.forget_user(user.id)
