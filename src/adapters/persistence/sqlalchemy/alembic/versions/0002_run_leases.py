"""run leases: the replica running a run, until when its claim holds, and the attempt count

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 11:10:00.000000

Runs already `running` get no lease: the first supervisor that looks takes them back (as the
previous version failed them at start-up), counted as attempt 0 so they are still retried once.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("lease_owner", sa.Text(), nullable=True))
        batch.add_column(sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_runs_status_lease_expires_at", "runs", ["status", "lease_expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_runs_status_lease_expires_at", table_name="runs")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("lease_expires_at")
        batch.drop_column("lease_owner")
        batch.drop_column("attempts")
