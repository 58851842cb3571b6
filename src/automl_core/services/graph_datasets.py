"""The datasets a graph reads, as its owner may see them: shared by admission, validation and previews."""

from __future__ import annotations

from automl_core.datasets import Dataset, DatasetSchema
from automl_core.errors import NotFound
from automl_core.ports import UnitOfWork
from automl_core.workflow import Graph, dataset_ids


async def owned_datasets(uow: UnitOfWork, owner_id: str, graph: Graph) -> dict[str, Dataset]:
    """The owner's datasets the graph names, each read once; others' datasets stay unknown."""
    found = {}
    for ident in dataset_ids(graph):
        try:
            found[ident] = await uow.datasets.get(owner_id, ident)
        except NotFound:
            continue
    return found


async def schemas_for(uow: UnitOfWork, owner_id: str, graph: Graph) -> dict[str, DatasetSchema]:
    """The schemas of the owner's datasets the graph names; others' datasets stay unknown."""
    return {ident: d.schema() for ident, d in (await owned_datasets(uow, owner_id, graph)).items()}
