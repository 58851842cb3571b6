"""models: the ONNX file's blob (or why there is none) and the global SHAP explanation

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 22:30:00.000000

Models trained before have neither: their ONNX download answers 409 and they have no explanation.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("models") as batch:
        batch.add_column(sa.Column("onnx_key", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("onnx_error", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column(
                "explanation",
                sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql"),
                nullable=True,
            )
        )
    op.create_index(op.f("ix_models_onnx_key"), "models", ["onnx_key"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_models_onnx_key"), table_name="models")
    with op.batch_alter_table("models") as batch:
        batch.drop_column("explanation")
        batch.drop_column("onnx_error")
        batch.drop_column("onnx_key")
