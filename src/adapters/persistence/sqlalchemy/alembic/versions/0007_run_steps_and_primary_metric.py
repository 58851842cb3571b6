"""run steps and primary metric: each step's state, "finish now", results' and models' primary metric

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 22:20:00.000000

Runs stored before have no step states (`{}`): the run view then shows none rather than guessing.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("nodes", _json(), server_default=sa.text("'{}'"), nullable=False))
        batch.add_column(sa.Column("finish_requested", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("run_results") as batch:
        batch.add_column(sa.Column("primary_metric", sa.Text(), nullable=True))
    with op.batch_alter_table("models") as batch:
        batch.add_column(sa.Column("primary_metric", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("models") as batch:
        batch.drop_column("primary_metric")
    with op.batch_alter_table("run_results") as batch:
        batch.drop_column("primary_metric")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("finish_requested")
        batch.drop_column("nodes")
