"""Settings: defaults, environment names, and misconfigurations that stop the start with one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.auth import load_or_create_secret
from adapters.blobs import DatabaseBlobStore, FilesystemBlobStore
from adapters.memory import MemoryExecutor
from entrypoints.container import Container
from entrypoints.settings import ConfigError, Settings, is_loopback

SECRET = "s" * 40


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.host == "127.0.0.1"
    assert settings.port == 8000
    assert settings.executor == "local"
    assert settings.auth == "local"
    assert settings.blobs == "fs"
    assert settings.data_dir == Path("var")
    assert settings.database_url == f"sqlite+aiosqlite:///{Path('var/automl.db').resolve()}"
    assert settings.max_upload_bytes == 500 * 1024 * 1024
    assert (settings.job_memory_mb, settings.run_timeout_s) == (None, 172_800)


def test_environment_names() -> None:
    settings = Settings.from_env(
        {
            "AUTOML_DATA_DIR": "/data",
            "DATABASE_URL": "postgresql+asyncpg://u:p@db/automl",
            "AUTOML_HOST": "0.0.0.0",
            "AUTOML_PORT": "9000",
            "AUTOML_EXECUTOR": "gradio",
            "HF_SPACE_URL": "https://me-worker.hf.space/",
            "HF_TOKEN": "hf_x",
            "GOOGLE_CLIENT_ID": "id.apps.googleusercontent.com",
            "GOOGLE_CLIENT_SECRET": "secret",
            "FRONTEND_URL": "https://automl.example.org/",
            "JWT_SECRET": SECRET,
            "AUTOML_MAX_UPLOAD_MB": "50",
            "AUTOML_BLOBS": "db",
            "AUTOML_MAX_RUNS": "8",
            "AUTOML_RUNS_PER_USER": "2",
            "AUTOML_JOB_MEMORY_MB": "2048",
            "AUTOML_RUN_TIMEOUT_S": "0",
            "AUTOML_REPLICA_ID": "api-1",
            "AUTOML_LEASE_S": "10",
        }
    )
    assert settings.data_dir == Path("/data")
    assert settings.database_url == "postgresql+asyncpg://u:p@db/automl"
    assert (settings.host, settings.port) == ("0.0.0.0", 9000)
    assert settings.auth == "google"  # a Google client means Google sign-in unless told otherwise
    assert settings.hf_space_url == "https://me-worker.hf.space"
    assert settings.frontend_url == "https://automl.example.org"
    assert settings.max_upload_mb == 50
    assert settings.blobs == "db"
    assert (settings.max_runs, settings.runs_per_user) == (8, 2)
    assert (settings.job_memory_mb, settings.run_timeout_s) == (2048, None)
    assert (settings.replica_id, settings.lease_s) == ("api-1", 10)


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"AUTOML_HOST": "0.0.0.0"}, "AUTOML_HOST"),
        ({"AUTOML_EXECUTOR": "gradio"}, "HF_SPACE_URL"),
        ({"AUTOML_AUTH": "google"}, "GOOGLE_CLIENT_ID"),
        ({"AUTOML_EXECUTOR": "dask"}, "AUTOML_EXECUTOR"),
        ({"AUTOML_PORT": "eighty"}, "AUTOML_PORT"),
        ({"AUTOML_PORT": "70000"}, "AUTOML_PORT"),
        ({"AUTOML_MAX_UPLOAD_MB": "0"}, "AUTOML_MAX_UPLOAD_MB"),
        ({"AUTOML_MAX_RUNS": "0"}, "AUTOML_MAX_RUNS"),
        ({"AUTOML_JOB_MEMORY_MB": "-1"}, "AUTOML_JOB_MEMORY_MB"),
        ({"AUTOML_LEASE_S": "1"}, "AUTOML_LEASE_S"),
        ({"JWT_SECRET": "short"}, "JWT_SECRET"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
    ],
)
def test_misconfiguration_is_one_clear_line(env: dict[str, str], names: str) -> None:
    with pytest.raises(ConfigError) as error:
        Settings.from_env(env)
    assert names in str(error.value)
    assert "\n" not in str(error.value)


def test_local_sign_in_off_loopback_needs_an_explicit_secret() -> None:
    settings = Settings.from_env({"AUTOML_HOST": "0.0.0.0", "JWT_SECRET": SECRET})
    assert settings.local_sign_in


def test_cli_reports_a_misconfiguration_and_exits(tmp_path: Path) -> None:
    env = {**os.environ, "AUTOML_HOST": "0.0.0.0", "AUTOML_DATA_DIR": str(tmp_path)}
    env.pop("JWT_SECRET", None)
    done = subprocess.run(
        [sys.executable, "-c", "from entrypoints.cli import main; main()", "serve"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith("automl: configuration error:")
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "automl.db").exists()


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.8.0.1", True), ("::1", True), ("[::1]", True), ("localhost", True),
     ("0.0.0.0", False), ("10.0.0.1", False), ("example.org", False), (None, False), ("", False)],
)  # fmt: skip
def test_is_loopback(host: str | None, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_local_secret_is_random_private_and_kept(tmp_path: Path) -> None:
    secret = load_or_create_secret(tmp_path)
    assert len(secret) >= 32
    assert (tmp_path / "jwt_secret").stat().st_mode & 0o777 == 0o600
    assert load_or_create_secret(tmp_path) == secret
    assert load_or_create_secret(tmp_path / "other") != secret


def test_the_container_picks_adapters_from_settings(tmp_path: Path) -> None:
    def container(**changes: object) -> Container:
        env = {"AUTOML_DATA_DIR": str(tmp_path), "AUTOML_EXECUTOR": "memory", **changes}
        return Container(settings=Settings.from_env(env))  # type: ignore[arg-type]

    assert isinstance(container().blobs(), FilesystemBlobStore)
    assert isinstance(container(AUTOML_BLOBS="db").blobs(), DatabaseBlobStore)
    assert isinstance(container().executor(), MemoryExecutor)
    supervisor = container(AUTOML_MAX_RUNS="6", AUTOML_RUNS_PER_USER="3").supervisor()
    assert (supervisor.max_parallel, supervisor.per_user) == (6, 3)
    assert container(JWT_SECRET=SECRET).tokens().secret == SECRET
    assert container().tokens().secret == (tmp_path / "jwt_secret").read_text()
