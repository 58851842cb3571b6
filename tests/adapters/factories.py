"""Valid domain objects with fresh ids, for the contract suites."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from automl_core.datasets import Column, ColumnProfile, Dataset, HistogramBin, TopValue
from automl_core.ids import new_id
from automl_core.models import Feature, ModelRecord, Provenance
from automl_core.ports import UnitOfWork
from automl_core.runs import LeaderboardEntry, Run, RunResult
from automl_core.users import User
from automl_core.workflow import Edge, Graph, Node, Position, Workflow

T0 = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def user(**changes: object) -> User:
    ident = new_id()
    return User(**{"id": ident, "email": f"{ident}@example.org", "name": "Ada", "created_at": T0, **changes})


def dataset(owner_id: str, **changes: object) -> Dataset:
    fields = {
        "id": new_id(),
        "owner_id": owner_id,
        "name": "iris",
        "filename": "iris.csv",
        "format": "csv",
        "size_bytes": 4551,
        "content_hash": "a" * 64,
        "row_count": 150,
        "columns": [Column("sepal", "float", 0, 35), Column("species", "string", 1, 3)],
        "profile": [
            ColumnProfile(
                "sepal",
                "float",
                0,
                35,
                min=4.3,
                max=7.9,
                mean=5.8,
                std=0.8,
                histogram=[HistogramBin(4.3, 6.1, 80), HistogramBin(6.1, 7.9, 70)],
            ),
            ColumnProfile("species", "string", 1, 3, top_values=[TopValue("setosa", 50)]),
        ],
        "blob_key": "b" * 64,
        "created_at": T0,
    }
    return Dataset(**{**fields, **changes})


def graph() -> Graph:
    return Graph(
        nodes=[
            Node("d", "dataset", {"dataset_id": new_id(), "target": "species"}, Position(1.5, 2)),
            Node("m", "model.random_forest", {"n_estimators": 100, "max_depth": None}),
        ],
        edges=[Edge("e", "d", "m", source_handle="out", target_handle="in")],
    )


def workflow(owner_id: str, **changes: object) -> Workflow:
    fields = {
        "id": new_id(),
        "owner_id": owner_id,
        "name": "wf",
        "description": "ünïcode ✓",
        "graph": graph(),
        "created_at": T0,
        "updated_at": T0,
    }
    return Workflow(**{**fields, **changes})


def run(owner_id: str, **changes: object) -> Run:
    fields = {
        "id": new_id(),
        "owner_id": owner_id,
        "workflow_id": new_id(),
        "snapshot": graph(),
        "dataset_hashes": {new_id(): "c" * 64},
        "seed": 42,
        "created_at": T0,
    }
    return Run(**{**fields, **changes})


def result(node_id: str = "m") -> RunResult:
    return RunResult(
        node_id=node_id,
        model_id=new_id(),
        algorithm="random_forest",
        task="multiclass",
        metrics={"accuracy": 0.95, "f1_macro": 0.94},
        leaderboard=[LeaderboardEntry("random_forest", {"n_estimators": 100}, 0.95, 1.25)],
        plots={"confusion_matrix": {"labels": ["a", "b"], "matrix": [[3, 1], [0, 4]]}},
        primary_metric="accuracy",
        timings={"fit_s": 1.5, "plots_s": 0.25},
    )


def model(owner_id: str, run_id: str, **changes: object) -> ModelRecord:
    fields = {
        "id": new_id(),
        "owner_id": owner_id,
        "name": "rf",
        "run_id": run_id,
        "node_id": "m",
        "algorithm": "random_forest",
        "task": "binary",
        "target": "survived",
        "metrics": {"roc_auc": 0.87},
        "primary_metric": "roc_auc",
        "features": [Feature("age", "float"), Feature("sex", "string")],
        "classes": [0, 1],
        "created_at": T0,
        "provenance": Provenance(
            workflow=new_id(),
            dataset_id=new_id(),
            dataset_hash="d" * 64,
            seed=7,
            library_versions={"scikit-learn": "1.9.0"},
        ),
        "artifact_key": "e" * 64,
    }
    return ModelRecord(**{**fields, **changes})


async def saved_user(make_uow: Callable[[], UnitOfWork]) -> User:
    """A committed user: SQL backends require owners to exist."""
    new = user()
    async with make_uow() as uow:
        await uow.users.add(new)
        await uow.commit()
    return new
