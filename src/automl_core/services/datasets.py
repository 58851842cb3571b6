"""Datasets: ingest an upload into typed Parquet in the blob store, then page and profile it."""

from __future__ import annotations

import builtins
from pathlib import Path

from automl_core.datasets import ColumnProfile, Dataset
from automl_core.errors import Conflict
from automl_core.ids import new_id
from automl_core.ports import BlobStore, Clock, Page, Preview, ReadOptions, TableReader, UnitOfWork
from automl_core.services import UowFactory
from automl_core.workflow import dataset_ids

SCAN_LIMIT = 10_000
"""How many of a user's datasets or workflows a duplicate or in-use check looks through."""


async def duplicates(uow: UnitOfWork, owner_id: str) -> dict[str, str]:
    """dataset id -> the id of the owner's earliest dataset with the same content, for each later copy."""
    everything = (await uow.datasets.list(owner_id, SCAN_LIMIT, 0)).items
    first: dict[str, Dataset] = {}
    for d in sorted(everything, key=lambda d: (d.created_at, d.id)):
        first.setdefault(d.content_hash, d)
    return {d.id: first[d.content_hash].id for d in everything if first[d.content_hash].id != d.id}


class DatasetService:
    def __init__(self, uow: UowFactory, blobs: BlobStore, reader: TableReader, clock: Clock) -> None:
        self.uow = uow
        self.blobs = blobs
        self.reader = reader
        self.clock = clock

    async def upload(
        self,
        owner_id: str,
        upload: Path,
        filename: str,
        name: str | None,
        workdir: Path,
        size_bytes: int,
        options: ReadOptions = ReadOptions(),
    ) -> Dataset:
        """`upload` is the raw file already on disk; `workdir` is scratch space the caller cleans up."""
        table = await self.reader.ingest(upload, filename, workdir, options)
        ref = await self.blobs.put_file(Path(table.parquet_path))
        dataset = Dataset(
            id=new_id(),
            owner_id=owner_id,
            name=(name or "").strip() or Path(filename).stem or "dataset",
            filename=filename,
            format=table.format,
            size_bytes=size_bytes,
            content_hash=table.content_hash,
            row_count=table.row_count,
            columns=table.columns,
            profile=table.profile,
            blob_key=ref.key,
            created_at=self.clock.now(),
        )
        try:
            async with self.uow() as uow:
                await uow.datasets.add(dataset)
                await uow.commit()
        except BaseException:
            await self._drop_blob_if_unused(ref.key)
            raise
        return dataset

    async def get(self, owner_id: str, dataset_id: str) -> Dataset:
        async with self.uow() as uow:
            return await uow.datasets.get(owner_id, dataset_id)

    async def list(self, owner_id: str, limit: int, offset: int) -> Page[Dataset]:
        async with self.uow() as uow:
            return await uow.datasets.list(owner_id, limit, offset)

    async def preview(self, owner_id: str, dataset_id: str, limit: int, offset: int) -> Preview:
        dataset = await self.get(owner_id, dataset_id)
        async with self.blobs.as_file(dataset.blob_key) as path:
            return await self.reader.preview(path, limit, offset)

    async def profile(self, owner_id: str, dataset_id: str) -> builtins.list[ColumnProfile]:
        return (await self.get(owner_id, dataset_id)).profile

    async def duplicate_of(self, owner_id: str) -> dict[str, str]:
        async with self.uow() as uow:
            return await duplicates(uow, owner_id)

    async def delete(self, owner_id: str, dataset_id: str, force: bool = False) -> None:
        """Models trained on the dataset keep working: they hold their own artifacts. Saved workflows
        that read it would break, so they are named (Conflict) unless `force`."""
        async with self.uow() as uow:
            dataset = await uow.datasets.get(owner_id, dataset_id)
            if not force:
                workflows = (await uow.workflows.list(owner_id, SCAN_LIMIT, 0)).items
                users = [w.name for w in workflows if dataset_id in dataset_ids(w.graph)]
                if users:
                    raise Conflict(
                        f"{len(users)} saved workflow{'s use' if len(users) > 1 else ' uses'} this dataset: "
                        f"{', '.join(users)}. Delete with force=true to remove it anyway"
                    )
            await uow.datasets.delete(owner_id, dataset_id)
            await uow.commit()
        await self._drop_blob_if_unused(dataset.blob_key)

    async def _drop_blob_if_unused(self, key: str) -> None:
        async with self.uow() as uow:
            in_use = await uow.datasets.blob_in_use(key)
        if not in_use:
            await self.blobs.delete(key)
