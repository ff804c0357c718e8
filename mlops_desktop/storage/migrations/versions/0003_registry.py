"""Registry: registered models and versions, aliases and their history, approvals,
deployments, triggers and their events, monitoring alerts, counters and pipeline claims.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    ref_table = target.split(".")[0]
    return sa.ForeignKeyConstraint(
        [column], [target], name=op.f(f"fk_{table}_{column}_{ref_table}"), ondelete=ondelete
    )


def _pk(table: str, *columns: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(*columns, name=op.f(f"pk_{table}"))


def upgrade() -> None:
    op.create_table(
        "registered_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        _fk("registered_models", "project_id", "projects.id", "CASCADE"),
        _pk("registered_models", "id"),
        sa.UniqueConstraint(
            "project_id", "name", name=op.f("uq_registered_models_project_id_name")
        ),
    )
    op.create_table(
        "model_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("pipeline_version_id", sa.Integer(), nullable=True),
        sa.Column("dataset_hashes", sa.JSON(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("artifact_digest", sa.String(length=64), nullable=False),
        sa.Column("task", sa.String(length=50), nullable=False),
        sa.Column("feature_names", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _fk("model_versions", "model_id", "registered_models.id", "CASCADE"),
        _fk("model_versions", "run_id", "runs.id", "SET NULL"),
        _fk("model_versions", "pipeline_version_id", "pipeline_versions.id", "SET NULL"),
        _pk("model_versions", "id"),
        sa.UniqueConstraint("model_id", "version", name=op.f("uq_model_versions_model_id_version")),
    )
    op.create_index(op.f("ix_model_versions_run_id"), "model_versions", ["run_id"])
    op.create_table(
        "model_aliases",
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("alias", sa.String(length=100), nullable=False),
        sa.Column("model_version_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        _fk("model_aliases", "model_id", "registered_models.id", "CASCADE"),
        _fk("model_aliases", "model_version_id", "model_versions.id", "CASCADE"),
        _pk("model_aliases", "model_id", "alias"),
    )
    op.create_index(
        op.f("ix_model_aliases_model_version_id"), "model_aliases", ["model_version_id"]
    )
    op.create_table(
        "alias_transitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("alias", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("from_version", sa.Integer(), nullable=True),
        sa.Column("to_version", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _fk("alias_transitions", "model_id", "registered_models.id", "CASCADE"),
        _fk("alias_transitions", "run_id", "runs.id", "SET NULL"),
        _pk("alias_transitions", "id"),
    )
    op.create_index(
        "ix_alias_transitions_model_id_alias", "alias_transitions", ["model_id", "alias"]
    )
    op.create_table(
        "approvals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_version_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("approver", sa.String(length=200), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _fk("approvals", "model_version_id", "model_versions.id", "CASCADE"),
        _fk("approvals", "run_id", "runs.id", "SET NULL"),
        _pk("approvals", "id"),
    )
    op.create_index(op.f("ix_approvals_model_version_id"), "approvals", ["model_version_id"])
    op.create_table(
        "deployments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("model_version_id", sa.Integer(), nullable=False),
        sa.Column("environment", sa.String(length=50), nullable=False),
        sa.Column("strategy", sa.String(length=20), nullable=False),
        sa.Column("traffic_share", sa.Double(), nullable=False),
        sa.Column("approver", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("previous_version_id", sa.Integer(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        _fk("deployments", "project_id", "projects.id", "CASCADE"),
        _fk("deployments", "model_version_id", "model_versions.id", "CASCADE"),
        _fk("deployments", "previous_version_id", "model_versions.id", "SET NULL"),
        _fk("deployments", "run_id", "runs.id", "SET NULL"),
        _pk("deployments", "id"),
    )
    op.create_index(
        "ix_deployments_project_id_environment", "deployments", ["project_id", "environment"]
    )
    op.create_index(op.f("ix_deployments_model_version_id"), "deployments", ["model_version_id"])
    op.create_table(
        "triggers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("pipeline_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=50), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        _fk("triggers", "project_id", "projects.id", "CASCADE"),
        _fk("triggers", "pipeline_id", "pipelines.id", "CASCADE"),
        _pk("triggers", "id"),
    )
    op.create_index(op.f("ix_triggers_pipeline_id"), "triggers", ["pipeline_id"])
    op.create_table(
        "trigger_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("pipeline_id", sa.Integer(), nullable=False),
        sa.Column("trigger_id", sa.Integer(), nullable=True),
        sa.Column("type", sa.String(length=50), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("coalesced_into", sa.Integer(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("fired_at", sa.DateTime(), nullable=False),
        sa.Column("handled_at", sa.DateTime(), nullable=True),
        _fk("trigger_events", "project_id", "projects.id", "CASCADE"),
        _fk("trigger_events", "pipeline_id", "pipelines.id", "CASCADE"),
        _fk("trigger_events", "trigger_id", "triggers.id", "SET NULL"),
        _fk("trigger_events", "run_id", "runs.id", "SET NULL"),
        _fk("trigger_events", "coalesced_into", "trigger_events.id", "SET NULL"),
        _pk("trigger_events", "id"),
    )
    op.create_index(
        "ix_trigger_events_pipeline_id_outcome", "trigger_events", ["pipeline_id", "outcome"]
    )
    op.create_index(op.f("ix_trigger_events_run_id"), "trigger_events", ["run_id"])
    op.create_table(
        "monitor_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("pipeline_id", sa.Integer(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("node_id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _fk("monitor_alerts", "project_id", "projects.id", "CASCADE"),
        _fk("monitor_alerts", "pipeline_id", "pipelines.id", "SET NULL"),
        _fk("monitor_alerts", "run_id", "runs.id", "SET NULL"),
        _pk("monitor_alerts", "id"),
    )
    op.create_index("ix_monitor_alerts_project_id_id", "monitor_alerts", ["project_id", "id"])
    op.create_table(
        "operate_counters",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        _fk("operate_counters", "project_id", "projects.id", "CASCADE"),
        _pk("operate_counters", "project_id", "key"),
    )
    op.create_table(
        "pipeline_claims",
        sa.Column("pipeline_id", sa.Integer(), nullable=False),
        sa.Column("owner_host", sa.String(length=255), nullable=False),
        sa.Column("owner_pid", sa.Integer(), nullable=False),
        sa.Column("owner_token", sa.String(length=100), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=False),
        _fk("pipeline_claims", "pipeline_id", "pipelines.id", "CASCADE"),
        _pk("pipeline_claims", "pipeline_id"),
    )


def downgrade() -> None:
    op.drop_table("pipeline_claims")
    op.drop_table("operate_counters")
    op.drop_index("ix_monitor_alerts_project_id_id", table_name="monitor_alerts")
    op.drop_table("monitor_alerts")
    op.drop_index(op.f("ix_trigger_events_run_id"), table_name="trigger_events")
    op.drop_index("ix_trigger_events_pipeline_id_outcome", table_name="trigger_events")
    op.drop_table("trigger_events")
    op.drop_index(op.f("ix_triggers_pipeline_id"), table_name="triggers")
    op.drop_table("triggers")
    op.drop_index(op.f("ix_deployments_model_version_id"), table_name="deployments")
    op.drop_index("ix_deployments_project_id_environment", table_name="deployments")
    op.drop_table("deployments")
    op.drop_index(op.f("ix_approvals_model_version_id"), table_name="approvals")
    op.drop_table("approvals")
    op.drop_index("ix_alias_transitions_model_id_alias", table_name="alias_transitions")
    op.drop_table("alias_transitions")
    op.drop_index(op.f("ix_model_aliases_model_version_id"), table_name="model_aliases")
    op.drop_table("model_aliases")
    op.drop_index(op.f("ix_model_versions_run_id"), table_name="model_versions")
    op.drop_table("model_versions")
    op.drop_table("registered_models")
