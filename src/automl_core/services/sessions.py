"""Verified sessions kept for a few seconds, so the hot path asks the database nothing.

Every request carries a session token; verifying its signature is cheap, but checking that the user
still exists and has not signed out (the token's session version against the user's) takes a query.
The cache holds that answer per token, least recently used evicted, each entry for `ttl` at most.
Signing out drops the user's entries here at once; another replica sees the raised version in the
database when its entry ages out, so a session ended on one replica ends everywhere within `ttl`.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime, timedelta

from automl_core.users import User


class SessionCache:
    def __init__(self, ttl: timedelta = timedelta(seconds=5), max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[User, datetime]] = OrderedDict()
        self._by_user: dict[str, set[str]] = {}

    def get(self, token: str, now: datetime) -> User | None:
        entry = self._entries.get(token)
        if entry is None:
            return None
        user, until = entry
        if now >= until:
            self._drop(token)
            return None
        self._entries.move_to_end(token)
        return user

    def put(self, token: str, user: User, now: datetime) -> None:
        self._drop(token)
        self._entries[token] = (user, now + self.ttl)
        self._by_user.setdefault(user.id, set()).add(token)
        while len(self._entries) > self.max_entries:
            self._drop(next(iter(self._entries)))

    def forget_user(self, user_id: str) -> None:
        for token in self._by_user.pop(user_id, set()):
            self._entries.pop(token, None)

    def _drop(self, token: str) -> None:
        entry = self._entries.pop(token, None)
        if entry is not None:
            tokens = self._by_user.get(entry[0].id)
            if tokens is not None:
                tokens.discard(token)
                if not tokens:
                    del self._by_user[entry[0].id]
