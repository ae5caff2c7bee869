"""Operator groups wherever operators are chosen: a watchlist can hold groups (alerts follow
every operator of the group, as its members change), and saved searches and rules can filter
by group. The alert workers read groups to evaluate; a watchlist and the groups it holds
always belong to one workspace (composite keys, not only RLS).

Revision ID: 0015_groups_everywhere
Revises: 0014_reversible_merges
Create Date: 2026-11-29
"""
from alembic import op

revision = "0015_groups_everywhere"
down_revision = "0014_reversible_merges"
branch_labels = None
depends_on = None

APP, WORKER = "permitwatch_app", "permitwatch_worker"


def upgrade() -> None:
    op.execute(f"""
      ALTER TABLE operator_groups ADD CONSTRAINT operator_groups_id_workspace UNIQUE (id, workspace_id);
      ALTER TABLE operator_watchlists ADD CONSTRAINT operator_watchlists_id_workspace UNIQUE (id, workspace_id);
      CREATE TABLE operator_watchlist_groups (
        watchlist_id uuid NOT NULL,
        group_id uuid NOT NULL,
        workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        PRIMARY KEY (watchlist_id, group_id),
        FOREIGN KEY (watchlist_id, workspace_id) REFERENCES operator_watchlists (id, workspace_id) ON DELETE CASCADE,
        FOREIGN KEY (group_id, workspace_id) REFERENCES operator_groups (id, workspace_id) ON DELETE CASCADE
      );
      CREATE INDEX operator_watchlist_groups_group_idx ON operator_watchlist_groups (group_id);
      ALTER TABLE operator_watchlist_groups ENABLE ROW LEVEL SECURITY;
      ALTER TABLE operator_watchlist_groups FORCE ROW LEVEL SECURITY;
      CREATE POLICY workspace_isolation ON operator_watchlist_groups TO {APP}
        USING (workspace_id = app_workspace_id()) WITH CHECK (workspace_id = app_workspace_id());
      CREATE POLICY owner_maintenance ON operator_watchlist_groups TO permitwatch_owner USING (true) WITH CHECK (true);
      GRANT SELECT, INSERT, UPDATE, DELETE ON operator_watchlist_groups TO {APP};
      CREATE POLICY alert_worker_read ON operator_watchlist_groups FOR SELECT TO {WORKER} USING (true);
      CREATE POLICY alert_worker_read ON operator_groups FOR SELECT TO {WORKER} USING (true);
      CREATE POLICY alert_worker_read ON operator_group_members FOR SELECT TO {WORKER} USING (true);
      GRANT SELECT ON operator_watchlist_groups, operator_groups, operator_group_members TO {WORKER};
    """)


def downgrade() -> None:
    op.execute(f"""
      REVOKE SELECT ON operator_groups, operator_group_members FROM {WORKER};
      DROP POLICY alert_worker_read ON operator_groups;
      DROP POLICY alert_worker_read ON operator_group_members;
      DROP TABLE operator_watchlist_groups;
      ALTER TABLE operator_watchlists DROP CONSTRAINT operator_watchlists_id_workspace;
      ALTER TABLE operator_groups DROP CONSTRAINT operator_groups_id_workspace;
    """)
