"""WorkspaceQuota -> the workspace_quotas row; usage written back into the status. The
row lives outside Kubernetes, so this is the one kind with a finalizer (the delete
handler puts the defaults back)."""

from __future__ import annotations

import kopf

from controllers import specs
from controllers.desired import quota as desired
from controllers.handlers.common import GROUP, VERSION, already_invalid, context, database, invalid, iso, now, parse_iso, ready
from services.metrics import registry
from services.tenancy.quotas import WorkspaceMissing, apply_quota, release_quota, usage

PLURAL = "workspacequotas"


@kopf.on.resume(GROUP, VERSION, PLURAL)
@kopf.on.create(GROUP, VERSION, PLURAL)
@kopf.on.update(GROUP, VERSION, PLURAL)
def quota_changed(body, spec, name, namespace, meta, status, patch, **_):
    reconcile(body, spec, name, namespace, meta, status, patch)


@kopf.timer(GROUP, VERSION, PLURAL, interval=context()[0].operator_resync_seconds, idle=5)
def quota_resync(body, spec, name, namespace, meta, status, patch, **_):
    if already_invalid(status, meta.get("generation")):
        return
    last = status.get("lastSyncTime")
    every = int(spec.get("usageReportSeconds", specs.QuotaSpec.usage_report_seconds))
    if last and (now() - parse_iso(last)).total_seconds() < every:
        return
    # the row is written again too: a hand edit in the database is drift like any other
    reconcile(body, spec, name, namespace, meta, status, patch)


@kopf.on.delete(GROUP, VERSION, PLURAL)
def quota_deleted(spec, name, namespace, logger, **_):
    try:
        quota = specs.quota_spec(dict(spec))
    except specs.Invalid:
        return  # it never wrote a row
    with database() as conn:
        released = release_quota(conn, quota.workspace_id, desired.managed_by(namespace, name))
    logger.info("quota of %s %s", quota.workspace_id, "released (defaults apply)" if released else "was not ours to release")


def reconcile(body, spec, name, namespace, meta, status, patch) -> None:
    generation, at = meta.get("generation"), now()
    try:
        quota = specs.quota_spec(dict(spec))
        with database() as conn:
            try:
                changed = apply_quota(conn, quota.workspace_id, desired.quota_row(quota), desired.managed_by(namespace, name))
                used = usage(conn, quota.workspace_id, at)
            except WorkspaceMissing as exc:
                raise specs.Invalid("WorkspaceNotFound", str(exc)) from None
    except specs.Invalid as exc:
        invalid("WorkspaceQuota", body, status, patch, exc, generation)
        return
    registry.reconciles.labels(kind="WorkspaceQuota", outcome="patched" if changed else "unchanged").inc()
    if changed:
        kopf.info(body, reason="QuotaApplied", message=f"workspace {quota.workspace_id}: quota row written")
    patch.status.update({"observedGeneration": generation, "lastSyncTime": iso(at), **desired.usage_status(quota, used),
                         "conditions": ready(status, generation, f"enforced for workspace {quota.workspace_id}")})
