"""run results: seconds per phase (search, refit, explain, ONNX, ...), apart from the metrics

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 23:15:00.000000

Results stored before have none (null).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("run_results") as batch:
        batch.add_column(
            sa.Column(
                "timings",
                sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql"),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("run_results") as batch:
        batch.drop_column("timings")
