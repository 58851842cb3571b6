"""node cache: each user's index of cached node outputs (the bytes are blobs)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 22:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "node_cache",
        sa.Column("owner_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("blob_key", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_node_cache_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("owner_id", "key", name=op.f("pk_node_cache")),
    )
    op.create_index(op.f("ix_node_cache_blob_key"), "node_cache", ["blob_key"], unique=False)
    op.create_index("ix_node_cache_owner_id_used_at", "node_cache", ["owner_id", "used_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_node_cache_owner_id_used_at", table_name="node_cache")
    op.drop_index(op.f("ix_node_cache_blob_key"), table_name="node_cache")
    op.drop_table("node_cache")
