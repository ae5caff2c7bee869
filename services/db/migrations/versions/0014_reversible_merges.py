"""Reversible operator merges: each merge records exactly which rows it moved, so an
unmerge puts those rows back and nothing else.

Revision ID: 0014_reversible_merges
Revises: 0013_p5_organizations
Create Date: 2026-11-29
"""
from alembic import op

revision = "0014_reversible_merges"
down_revision = "0013_p5_organizations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
      CREATE TABLE operator_merges (
        id bigserial PRIMARY KEY,
        keep_id uuid NOT NULL REFERENCES operators(id),
        absorbed_id uuid NOT NULL REFERENCES operators(id),
        actor text NOT NULL,
        reason text NOT NULL,
        moved jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        undone_at timestamptz,
        undone_by text
      );
      CREATE INDEX operator_merges_absorbed_idx ON operator_merges (absorbed_id) WHERE undone_at IS NULL;
      GRANT SELECT ON operator_merges TO permitwatch_app;
    """)


def downgrade() -> None:
    op.execute("DROP TABLE operator_merges")
