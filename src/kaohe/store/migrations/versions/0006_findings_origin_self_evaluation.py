"""where a finding came from (问题来源), and the provinces' self-evaluations (省级自评)

Findings made before this revision were recorded by the assessment itself: they get the origin
'assessment' (考核核查).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("origin", sa.String(length=16), nullable=False, server_default="assessment")
        )
    op.create_table(
        "self_evaluations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=32), nullable=False),
        sa.Column("indicator", sa.String(length=64), nullable=False),
        sa.Column("self_score", sa.Float(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("submitted_by", sa.String(length=64), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cycle_id"], ["cycles.id"], name=op.f("fk_self_evaluations_cycle_id_cycles")
        ),
        sa.ForeignKeyConstraint(
            ["unit_code"], ["units.code"], name=op.f("fk_self_evaluations_unit_code_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_self_evaluations")),
        sa.UniqueConstraint(
            "cycle_id", "unit_code", "indicator", name=op.f("uq_self_evaluations_cycle_id")
        ),
    )
    with op.batch_alter_table("self_evaluations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_self_evaluations_cycle_id"), ["cycle_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_self_evaluations_unit_code"), ["unit_code"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("self_evaluations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_self_evaluations_unit_code"))
        batch_op.drop_index(batch_op.f("ix_self_evaluations_cycle_id"))
    op.drop_table("self_evaluations")
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_column("origin")
