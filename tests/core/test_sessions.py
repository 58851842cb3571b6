"""Signing out ends sessions server-side: at once on the replica that signed out, on the others as soon
as their cached answer ages out; the cache spares the database on every other request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.auth.jwt import JwtTokenService
from adapters.memory import MemoryStore, MemoryUnitOfWork
from automl_core.errors import Unauthorized
from automl_core.services.auth import AuthService
from automl_core.services.sessions import SessionCache
from automl_core.users import Identity

TTL = timedelta(seconds=5)


class ManualClock:
    """Starts a minute before the real time (PyJWT checks `exp` and `iat` against it), moves when told."""

    def __init__(self) -> None:
        self.t = datetime.now(UTC) - timedelta(minutes=1)

    def now(self) -> datetime:
        return self.t


class CountingUow(MemoryUnitOfWork):
    opened = 0

    async def __aenter__(self) -> CountingUow:
        CountingUow.opened += 1
        return await super().__aenter__()  # type: ignore[return-value]


@pytest.fixture
def replicas() -> tuple[AuthService, AuthService, ManualClock]:
    store, clock = MemoryStore(), ManualClock()
    tokens = JwtTokenService("s" * 32, clock)

    def replica() -> AuthService:
        return AuthService(lambda: CountingUow(store), tokens, clock, SessionCache(ttl=TTL))

    return replica(), replica(), clock


IDENTITY = Identity(provider="local", subject="a@example.com", email="a@example.com")


async def test_sign_out_ends_every_session_on_every_replica(
    replicas: tuple[AuthService, AuthService, ManualClock],
) -> None:
    a, b, clock = replicas
    user, token = await a.sign_in(IDENTITY)
    _, other_token = await a.sign_in(IDENTITY)
    assert (await b.user_for_token(token)).id == user.id  # cached on b now

    await a.sign_out(token)
    for t in (token, other_token):
        with pytest.raises(Unauthorized, match="signed out"):
            await a.user_for_token(t)
    assert (await b.user_for_token(token)).id == user.id  # b's answer is at most TTL old
    clock.t += TTL
    with pytest.raises(Unauthorized, match="signed out"):
        await b.user_for_token(token)

    _, fresh = await a.sign_in(IDENTITY)
    assert (await b.user_for_token(fresh)).id == user.id


async def test_a_cached_session_costs_no_query(replicas: tuple[AuthService, AuthService, ManualClock]) -> None:
    a, _, clock = replicas
    _, token = await a.sign_in(IDENTITY)
    await a.user_for_token(token)
    before = CountingUow.opened
    for _ in range(100):
        clock.t += timedelta(milliseconds=10)
        await a.user_for_token(token)
    assert CountingUow.opened == before  # 100 requests over a second: not one query


def test_the_cache_is_bounded_and_least_recently_used_goes_first() -> None:
    from automl_core.users import User

    cache, now = SessionCache(ttl=TTL, max_entries=2), datetime(2026, 1, 1, tzinfo=UTC)
    users = [User(id=f"u{i}", email=f"{i}@x", created_at=now) for i in range(3)]
    cache.put("t0", users[0], now)
    cache.put("t1", users[1], now)
    assert cache.get("t0", now) is users[0]
    cache.put("t2", users[2], now)
    assert (cache.get("t0", now), cache.get("t1", now), cache.get("t2", now)) == (users[0], None, users[2])
    cache.forget_user("u0")
    assert cache.get("t0", now) is None and cache.get("t2", now + TTL) is None
