"""Settings from the environment, checked once at start-up.

Every misconfiguration is a `ConfigError` with one line that names the variable, raised before the
server binds, so a bad deployment fails at start rather than at its first request.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import msgspec

ExecutorKind = Literal["local", "gradio", "memory", "dask"]
AuthMode = Literal["local", "google"]
BlobKind = Literal["fs", "db"]

GOOGLE_DISCOVERY_URL = "https://accounts.google.com/.well-known/openid-configuration"
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


class ConfigError(Exception):
    """A setting is missing, malformed, or unsafe with the others."""


def is_loopback(host: str | None) -> bool:
    """Whether a host name or address stays on this machine."""
    if not host:
        return False
    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Settings(msgspec.Struct, kw_only=True, frozen=True):
    data_dir: Path = Path("var")
    database_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    executor: ExecutorKind = "local"
    auth: AuthMode = "local"
    blobs: BlobKind = "fs"
    max_upload_mb: int = 500
    max_runs: int = 2
    """Runs this API process trains at once; more wait in the queue."""
    runs_per_user: int = 1
    """Runs one user may have training at once, so one person cannot fill the queue's slots."""
    job_memory_mb: int | None = None
    """Memory one local training job may take before it fails with "out of memory"; None: no limit."""
    run_timeout_s: int | None = 172_800
    """A run still training after this long is stopped and failed, whatever its executor does."""
    jwt_secret: str | None = None
    google_client_id: str | None = None
    google_client_secret: str | None = None
    google_discovery_url: str = GOOGLE_DISCOVERY_URL
    """Where the OpenID provider describes itself; only tests (a fake provider) point it elsewhere."""
    sign_in_per_minute: int = 20
    """Sign-in attempts one address may make per minute (429 beyond)."""
    uploads_per_minute: int = 30
    """Dataset uploads one user (or, unsigned, one address) may start per minute (429 beyond)."""
    predictions_per_minute: int = 600
    """Prediction requests (JSON rows or a CSV file) one user may make per minute (429 beyond)."""
    max_columns: int = 1_000
    """Widest table an upload may be (422 beyond): profiling time grows with the columns."""
    frontend_url: str | None = None
    hf_space_url: str | None = None
    hf_token: str | None = None
    frontend_dir: Path | None = None
    """The built UI (`frontend/out`), served at `/` when it exists."""
    replica_id: str | None = None
    """Names this API process in the run leases it takes; unique per live replica, stable across its restarts."""
    lease_s: int = 30
    """How long a replica's claim on a run outlives its last heartbeat: a dead replica's runs wait this long."""
    cache_mb: int = 256
    """Each user's cache of step outputs (previews, trained branches); least recently used go past it; 0: off."""
    dask_scheduler_address: str | None = None
    dask_shared_storage: bool = False
    """Dask workers see the API's blob directory at the same path, so a path travels instead of the bytes."""

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def cache_bytes(self) -> int:
        return self.cache_mb * 1024 * 1024

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    @property
    def local_sign_in(self) -> bool:
        return self.auth == "local"

    @property
    def google_sign_in(self) -> bool:
        return self.auth == "google"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read and cross-check the environment; raise ConfigError with one clear line."""
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        def choice(name: str, allowed: tuple[str, ...], default: str) -> str:
            value = (get(name) or default).lower()
            if value not in allowed:
                raise ConfigError(f"{name}={value!r} is not one of {', '.join(allowed)}")
            return value

        def integer(name: str, default: int, low: int, high: int) -> int:
            raw = get(name)
            if raw is None:
                return default
            try:
                value = int(raw)
            except ValueError:
                raise ConfigError(f"{name}={raw!r} is not a whole number") from None
            if not low <= value <= high:
                raise ConfigError(f"{name}={value} is outside {low}..{high}")
            return value

        data_dir = Path(get("AUTOML_DATA_DIR") or "var")
        google_client_id = get("GOOGLE_CLIENT_ID")
        settings = cls(
            data_dir=data_dir,
            database_url=get("DATABASE_URL") or f"sqlite+aiosqlite:///{(data_dir / 'automl.db').resolve()}",
            host=get("AUTOML_HOST") or "127.0.0.1",
            port=integer("AUTOML_PORT", 8000, 0, 65535),  # 0: the OS picks a free port (logged)
            executor=choice("AUTOML_EXECUTOR", ("local", "gradio", "memory", "dask"), "local"),  # type: ignore[arg-type]
            auth=choice("AUTOML_AUTH", ("local", "google"), "google" if google_client_id else "local"),  # type: ignore[arg-type]
            blobs=choice("AUTOML_BLOBS", ("fs", "db"), "fs"),  # type: ignore[arg-type]
            max_upload_mb=integer("AUTOML_MAX_UPLOAD_MB", 500, 1, 1_000_000),
            max_runs=integer("AUTOML_MAX_RUNS", 2, 1, 1024),
            runs_per_user=integer("AUTOML_RUNS_PER_USER", 1, 1, 1024),
            job_memory_mb=integer("AUTOML_JOB_MEMORY_MB", 0, 0, 10_000_000) or None,
            run_timeout_s=integer("AUTOML_RUN_TIMEOUT_S", 172_800, 0, 10_000_000) or None,
            jwt_secret=get("JWT_SECRET"),
            google_client_id=google_client_id,
            google_client_secret=get("GOOGLE_CLIENT_SECRET"),
            google_discovery_url=get("GOOGLE_DISCOVERY_URL") or GOOGLE_DISCOVERY_URL,
            sign_in_per_minute=integer("AUTOML_SIGN_IN_PER_MINUTE", 20, 1, 1_000_000),
            uploads_per_minute=integer("AUTOML_UPLOADS_PER_MINUTE", 30, 1, 1_000_000),
            predictions_per_minute=integer("AUTOML_PREDICTIONS_PER_MINUTE", 600, 1, 1_000_000),
            max_columns=integer("AUTOML_MAX_COLUMNS", 1_000, 2, 1_000_000),
            frontend_url=(get("FRONTEND_URL") or "").rstrip("/") or None,
            hf_space_url=(get("HF_SPACE_URL") or "").rstrip("/") or None,
            hf_token=get("HF_TOKEN"),
            frontend_dir=Path(get("AUTOML_FRONTEND_DIR") or "frontend/out"),
            # Host and port: two replicas on one machine differ, a restarted one keeps its id.
            replica_id=get("AUTOML_REPLICA_ID") or f"{socket.gethostname()}:{integer('AUTOML_PORT', 8000, 0, 65535)}",
            lease_s=integer("AUTOML_LEASE_S", 30, 2, 3600),
            cache_mb=integer("AUTOML_CACHE_MB", 256, 0, 10_000_000),
            dask_scheduler_address=get("DASK_SCHEDULER_ADDRESS"),
            dask_shared_storage=choice("AUTOML_DASK_SHARED_STORAGE", ("0", "1"), "0") == "1",
        )
        settings.check()
        return settings

    def check(self) -> None:
        """Combinations that would start but be broken or unsafe."""
        if self.auth == "google" and not self.google_client_id:
            raise ConfigError("AUTOML_AUTH=google needs GOOGLE_CLIENT_ID")
        if self.auth == "google" and not self.google_client_secret:
            raise ConfigError("AUTOML_AUTH=google needs GOOGLE_CLIENT_SECRET (the sign-in redirect uses it)")
        if self.executor == "gradio" and not self.hf_space_url:
            raise ConfigError("AUTOML_EXECUTOR=gradio needs HF_SPACE_URL (the worker Space's URL)")
        if self.executor == "dask" and not self.dask_scheduler_address:
            raise ConfigError("AUTOML_EXECUTOR=dask needs DASK_SCHEDULER_ADDRESS (tcp://host:8786)")
        if self.dask_shared_storage and self.blobs != "fs":
            raise ConfigError("AUTOML_DASK_SHARED_STORAGE=1 needs AUTOML_BLOBS=fs (workers read the blob files)")
        if self.local_sign_in and not is_loopback(self.host) and not self.jwt_secret:
            raise ConfigError(
                f"local sign-in on a non-loopback bind (AUTOML_HOST={self.host}) lets anyone on the "
                "network in; set AUTOML_AUTH=google, or bind 127.0.0.1, or set JWT_SECRET to force it"
            )
        if self.jwt_secret is not None and len(self.jwt_secret) < 32:
            raise ConfigError("JWT_SECRET must be at least 32 characters")
        if not self.database_url.startswith(("sqlite", "postgresql")):
            raise ConfigError(f"DATABASE_URL must be a sqlite or postgresql URL, not {self.database_url!r}")
