"""rectification items brought in from an outcomes ledger

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rectifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ledger_item", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("ledger_dir", sa.String(length=500), nullable=True))
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), nullable=False, server_default="rectification")
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_rectifications_ledger_item"), ["ledger_item"]
        )


def downgrade() -> None:
    with op.batch_alter_table("rectifications", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_rectifications_ledger_item"), type_="unique")
        batch_op.drop_column("kind")
        batch_op.drop_column("ledger_dir")
        batch_op.drop_column("ledger_item")
