"""Sign-in settings: their environment names, what Google mode needs, and what the container builds."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.auth import GoogleIdentityProvider
from entrypoints.container import Container
from entrypoints.settings import GOOGLE_DISCOVERY_URL, ConfigError, Settings

GOOGLE = {"GOOGLE_CLIENT_ID": "id.apps.googleusercontent.com", "GOOGLE_CLIENT_SECRET": "secret"}


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.google_discovery_url == GOOGLE_DISCOVERY_URL
    assert (settings.sign_in_per_minute, settings.uploads_per_minute) == (20, 30)


def test_environment_names() -> None:
    settings = Settings.from_env(
        {**GOOGLE, "GOOGLE_DISCOVERY_URL": "http://idp.test/.well-known/openid-configuration",
         "AUTOML_SIGN_IN_PER_MINUTE": "5", "AUTOML_UPLOADS_PER_MINUTE": "7"}
    )  # fmt: skip
    assert settings.google_discovery_url == "http://idp.test/.well-known/openid-configuration"
    assert (settings.sign_in_per_minute, settings.uploads_per_minute) == (5, 7)


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"GOOGLE_CLIENT_ID": "id"}, "GOOGLE_CLIENT_SECRET"),
        ({"AUTOML_SIGN_IN_PER_MINUTE": "0"}, "AUTOML_SIGN_IN_PER_MINUTE"),
        ({"AUTOML_UPLOADS_PER_MINUTE": "many"}, "AUTOML_UPLOADS_PER_MINUTE"),
    ],
)
def test_misconfiguration_is_one_clear_line(env: dict[str, str], names: str) -> None:
    with pytest.raises(ConfigError, match=names):
        Settings.from_env(env)


def test_the_container_builds_google_sign_in_only_when_on(tmp_path: Path) -> None:
    def container(**env: str) -> Container:
        return Container(settings=Settings.from_env({"AUTOML_DATA_DIR": str(tmp_path), **env}))  # type: ignore[arg-type]

    assert container().google() is None
    google = container(**GOOGLE).google()
    assert isinstance(google, GoogleIdentityProvider)
    assert google.client_id == GOOGLE["GOOGLE_CLIENT_ID"]
