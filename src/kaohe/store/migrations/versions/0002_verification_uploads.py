"""verification sheets uploaded as versions; where each verification result came from

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "verification_uploads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("applied", sa.Integer(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cycle_id"], ["cycles.id"], name=op.f("fk_verification_uploads_cycle_id_cycles")
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_verification_uploads_team_id_teams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_uploads")),
        sa.UniqueConstraint(
            "cycle_id", "scope", "number", name=op.f("uq_verification_uploads_cycle_id")
        ),
    )
    with op.batch_alter_table("verification_uploads", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_verification_uploads_cycle_id"), ["cycle_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_verification_uploads_team_id"), ["team_id"], unique=False
        )
    with op.batch_alter_table("verification_results", schema=None) as batch_op:
        batch_op.add_column(sa.Column("origin", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("verification_results", schema=None) as batch_op:
        batch_op.drop_column("origin")
    with op.batch_alter_table("verification_uploads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_verification_uploads_team_id"))
        batch_op.drop_index(batch_op.f("ix_verification_uploads_cycle_id"))
    op.drop_table("verification_uploads")
