"""The HTTP entrypoint: a Litestar app over the domain services."""

from entrypoints.http.app import create_app

__all__ = ["create_app"]
