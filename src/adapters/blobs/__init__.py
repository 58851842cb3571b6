"""Content-addressed blob stores: on a filesystem, or in the database for hosts without a lasting disk."""

from adapters.blobs.database import DatabaseBlobStore
from adapters.blobs.filesystem import FilesystemBlobStore

__all__ = ["DatabaseBlobStore", "FilesystemBlobStore"]
