"""Use cases. Each takes ports, enforces ownership and raises domain errors only."""

from collections.abc import Callable

from automl_core.ports import UnitOfWork

UowFactory = Callable[[], UnitOfWork]
