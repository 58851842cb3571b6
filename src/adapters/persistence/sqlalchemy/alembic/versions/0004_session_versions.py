"""session versions: signing out raises the user's version, ending every session issued before

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 22:50:00.000000

Tokens issued before carry no version and count as version 0, which every existing user starts at.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("session_version", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_version")
