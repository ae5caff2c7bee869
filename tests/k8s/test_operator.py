"""The Kopf operator, run for real against KMock's Kubernetes emulator and the real
PostGIS: resources created, changed and deleted -> CronJobs, Deployments, Jobs and quota
rows created, changed and removed; status and Events written back.

The emulator stores what it is sent (no defaulting, no garbage collection, no controllers
of its own), so a test plays the Job controller by patching a Job's status, and checks the
owner references that make Kubernetes delete children with their parent."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import uuid
from collections.abc import Mapping

import kmock
import kopf.testing
import pytest

from controllers import kube
from controllers.handlers import common
from services.tenancy import admin
from tests.conftest import make_settings
from tests.k8s.schemas import CRDS, crds, defaulted, k8s_errors, load_yaml

NS = "permits"
SOURCES, BACKFILLS, QUOTAS = (kmock.resource(f"permitwatch.io/v1/{p}") for p in ("ingestionsources", "backfilljobs", "workspacequotas"))
CRONJOBS, DEPLOYMENTS, JOBS = kmock.resource("batch/v1/cronjobs"), kmock.resource("apps/v1/deployments"), kmock.resource("batch/v1/jobs")

pytestmark = pytest.mark.asyncio


@pytest.fixture
def cluster(kmock, tmp_path, monkeypatch, stack_env, fresh_db):
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(f"""apiVersion: v1
kind: Config
clusters: [{{name: k, cluster: {{server: "{kmock.url}"}}}}]
users: [{{name: k, user: {{token: test}}}}]
contexts: [{{name: k, context: {{cluster: k, user: k, namespace: {NS}}}}}]
current-context: k
""")
    import kubernetes.config.kube_config as kcm  # it reads $KUBECONFIG once, at import
    monkeypatch.setattr(kcm, "KUBE_CONFIG_DEFAULT_LOCATION", str(kubeconfig))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    kmock.resources.load_bundled()
    for kind, crd in crds().items():
        names = crd["spec"]["names"]
        kmock.resources[f"permitwatch.io/v1/{names['plural']}"] = kmock.ResourceInfo(
            kind=kind, singular=names["singular"], namespaced=True, subresources={"status"}, shortnames=set(names["shortNames"]),
            verbs={"list", "watch", "get", "patch", "create", "delete", "update"})
    settings = make_settings(stack_env, fresh_db, tmp_path, operator_resync_seconds=1, k8s_image="permitwatch:test")
    monkeypatch.setattr(common, "get_settings", lambda: settings)
    common.context.cache_clear()
    kube.api.cache_clear()
    yield kmock, settings
    common.context.cache_clear()
    kube.api.cache_clear()


async def until(predicate, timeout: float = 20.0, what: str = "condition"):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        try:
            if predicate():
                return
        except (KeyError, TypeError, IndexError):
            pass
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@contextlib.asynccontextmanager
async def operator():
    """Kopf in its own thread against the emulator, which serves on this test's event loop.
    Stopping waits for Kopf's thread from another thread, so this loop keeps answering the
    handlers' last API calls meanwhile: joining on the loop itself would starve them, and
    the operator could not stop ("The operator didn't stop, still running")."""
    runner = kopf.testing.KopfRunner(["run", "--standalone", "--all-namespaces", "-m", "controllers.operator"], timeout=60)
    runner.__enter__()
    try:
        yield runner
    except BaseException as exc:
        await asyncio.to_thread(runner.__exit__, type(exc), exc, exc.__traceback__)
        raise
    await asyncio.to_thread(runner.__exit__, None, None, None)


async def create(k, resource, doc: dict) -> dict:
    doc = defaulted(copy.deepcopy(doc))  # as the API server would store it
    # what the API server would add; the emulator stores objects as posted
    doc["metadata"] = {"namespace": NS, "uid": str(uuid.uuid4()), "generation": 1, "resourceVersion": "1", **doc["metadata"]}
    await until(lambda: any(r.action == kmock.action.WATCH and r.resource == resource for r in list(k)), what=f"watch on {resource}")
    r = await k.post(f"/apis/permitwatch.io/v1/namespaces/{NS}/{resource.plural}", json=doc)
    assert r.status == 200
    return doc


async def patch(k, path: str, body: dict) -> None:
    r = await k.patch(path, json=body)
    assert r.status == 200


def status(k, resource, name) -> dict:
    return k.objects[resource, NS, name].get("status") or {}


def exists(k, resource, name) -> bool:
    """The emulator keeps deleted objects (soft-deleted) in its store."""
    key = (resource, NS, name)
    return key in k.objects and not k.objects[key].deleted


def stored(k, resource, name) -> dict:
    """The emulator's object as plain JSON data."""
    return _plain(k.objects[resource, NS, name])


def _plain(value):
    if isinstance(value, Mapping):
        return {key: _plain(v) for key, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def ready(st: dict) -> dict:
    return next((c for c in st.get("conditions", ()) if c["type"] == "Ready"), {})


def events(k, reason: str) -> list[dict]:
    return [r.data for r in list(k) if r.method == kmock.method.POST and r.url.path.endswith("/events")
            and isinstance(r.data, dict) and r.data.get("reason") == reason]


async def test_ingestion_source_becomes_a_polling_cronjob_kept_that_way_and_a_worker_only_when_asked(cluster):
    k, settings = cluster
    doc = load_yaml(CRDS / "samples" / "ingestionsource-rrc-daily.yaml")[0]
    async with operator() as runner:
        src = await create(k, SOURCES, doc)
        await until(lambda: ready(status(k, SOURCES, "rrc-daily"))["status"] == "True", what="Ready")
        cj = stored(k, CRONJOBS, "rrc-daily-ingest")
        assert (DEPLOYMENTS, NS, "rrc-daily-worker") not in k.objects  # nothing feeds its queue: no pods
        for child in (cj,):
            assert k8s_errors(child) == []
            (owner,) = child["metadata"]["ownerReferences"]  # what lets Kubernetes delete them with the source
            assert (owner["kind"], owner["name"], owner["uid"], owner["controller"]) == ("IngestionSource", "rrc-daily", src["metadata"]["uid"], True)
        assert cj["spec"]["schedule"] == "*/10 * * * 1-5"
        assert cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["command"][:3] == ["permitwatch", "sources", "poll"]
        assert cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["image"] == "permitwatch:test"
        st = status(k, SOURCES, "rrc-daily")
        assert (st["cronJobName"], st.get("workerDeploymentName"), st["observedGeneration"]) == ("rrc-daily-ingest", None, 1)
        assert "lastSuccessTime" not in st and "lagSeconds" not in st  # nothing ingested in this database yet
        await until(lambda: events(k, "Created"), what="Created event")  # Kopf posts Events in the background

        # Someone edits the CronJob by hand: the resync puts it back.
        await patch(k, f"/apis/batch/v1/namespaces/{NS}/cronjobs/rrc-daily-ingest", {"spec": {"schedule": "0 0 1 1 *", "suspend": True}})
        await until(lambda: k.objects[CRONJOBS, NS, "rrc-daily-ingest"]["spec"]["schedule"] == "*/10 * * * 1-5", what="drift corrected")
        assert k.objects[CRONJOBS, NS, "rrc-daily-ingest"]["spec"]["suspend"] is False
        await until(lambda: any("spec.schedule" in e["message"] for e in events(k, "DriftCorrected")), what="DriftCorrected event")

        # The source's spec changes: the children follow.
        await patch(k, f"/apis/permitwatch.io/v1/namespaces/{NS}/ingestionsources/rrc-daily",
                    {"metadata": {"generation": 2}, "spec": {"schedule": "5 * * * *", "worker": {"replicas": 3}}})
        await until(lambda: k.objects[CRONJOBS, NS, "rrc-daily-ingest"]["spec"]["schedule"] == "5 * * * *", what="schedule change")
        await until(lambda: (DEPLOYMENTS, NS, "rrc-daily-worker") in k.objects
                    and k.objects[DEPLOYMENTS, NS, "rrc-daily-worker"]["spec"]["replicas"] == 3, what="worker asked for")
        dep = stored(k, DEPLOYMENTS, "rrc-daily-worker")
        assert k8s_errors(dep) == [] and dep["metadata"]["ownerReferences"][0]["name"] == "rrc-daily"
        await until(lambda: status(k, SOURCES, "rrc-daily")["observedGeneration"] == 2, what="generation 2 observed")
    assert runner.exit_code == 0, runner.output


async def test_a_source_that_cannot_work_says_why_once_and_creates_nothing(cluster):
    k, _ = cluster
    doc = {"apiVersion": "permitwatch.io/v1", "kind": "IngestionSource", "metadata": {"name": "ftp"}, "spec": {"type": "ftp_mirror"}}
    async with operator() as runner:
        await create(k, SOURCES, doc)
        await until(lambda: ready(status(k, SOURCES, "ftp"))["reason"] == "UnknownSourceType", what="refusal")
        await asyncio.sleep(3)  # three resync periods: no retry loop, no repeated Event
        assert len(events(k, "UnknownSourceType")) == 1
        assert "ftp_mirror" in ready(status(k, SOURCES, "ftp"))["message"]
        assert not exists(k, CRONJOBS, "ftp-ingest")
    assert runner.exit_code == 0, runner.output


async def test_backfill_runs_chunks_in_order_and_reports_progress(cluster):
    k, settings = cluster
    source = load_yaml(CRDS / "samples" / "ingestionsource-rrc-daily.yaml")[0]
    bf = {"apiVersion": "permitwatch.io/v1", "kind": "BackfillJob", "metadata": {"name": "july"},
          "spec": {"sourceRef": {"name": "rrc-daily"}, "from": "2026-07-01", "to": "2026-07-20", "chunkDays": 10, "parallelism": 3,
                   "volume": {"persistentVolumeClaim": "rrc-archive"}}}
    async with operator() as runner:
        await create(k, SOURCES, source)
        await create(k, BACKFILLS, bf)
        await until(lambda: exists(k, JOBS, "july-c000"), what="first chunk Job")
        await until(lambda: status(k, BACKFILLS, "july").get("phase") == "Running", what="Running")
        st = status(k, BACKFILLS, "july")
        assert st["progress"]["summary"] == "0/2" and st["jobs"] == ["july-c000"]
        assert next(c for c in st["conditions"] if c["type"] == "ParallelismLimited")["status"] == "True"
        await asyncio.sleep(2)
        assert not exists(k, JOBS, "july-c001")  # ordered source: one chunk at a time
        job = stored(k, JOBS, "july-c000")
        assert k8s_errors(job) == []
        assert job["metadata"]["ownerReferences"][0]["name"] == "july"
        assert job["spec"]["template"]["spec"]["containers"][0]["command"][-4:] == ["--from", "2026-07-01", "--to", "2026-07-10"]

        # The chunk's pod ran the real command (here: the CLI, in-process) and the Job completed.
        from services.ingestion.pipeline import ingest
        from tests.conftest import sample
        for day in ("2026-07-01", "2026-07-03", "2026-07-09", "2026-07-10"):
            ingest(settings, str(sample(day)))
        await patch(k, f"/apis/batch/v1/namespaces/{NS}/jobs/july-c000", {"status": {"succeeded": 1, "conditions": [
            {"type": "Complete", "status": "True"}]}})
        await until(lambda: exists(k, JOBS, "july-c001"), what="second chunk Job")
        await until(lambda: status(k, BACKFILLS, "july")["progress"]["files"] == 4, what="progress from the run log")
        st = status(k, BACKFILLS, "july")
        assert st["progress"]["chunksDone"] == 1 and st["progress"]["permits"] > 0

        await patch(k, f"/apis/batch/v1/namespaces/{NS}/jobs/july-c001", {"status": {"conditions": [
            {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"}]}})
        await until(lambda: status(k, BACKFILLS, "july").get("phase") == "Failed", what="Failed")
        st = status(k, BACKFILLS, "july")
        assert st["errors"] == ["july-c001 (2026-07-11..2026-07-20): Job has reached the specified backoff limit"]
        assert st["finishedAt"]
        await until(lambda: events(k, "BackfillFailed"), what="BackfillFailed event")

        # The range is edited down to the first chunk: the second chunk's Job is removed.
        await patch(k, f"/apis/permitwatch.io/v1/namespaces/{NS}/backfilljobs/july",
                    {"metadata": {"generation": 2}, "spec": {"to": "2026-07-10"}})
        await until(lambda: not exists(k, JOBS, "july-c001"), what="chunk removed")
        await until(lambda: status(k, BACKFILLS, "july").get("phase") == "Succeeded", what="Succeeded")
        await until(lambda: events(k, "ChunkRemoved") and events(k, "BackfillSucceeded"), what="events")
    assert runner.exit_code == 0, runner.output


async def test_backfill_into_the_future_is_refused(cluster):
    k, _ = cluster
    source = load_yaml(CRDS / "samples" / "ingestionsource-rrc-daily.yaml")[0]
    bf = {"apiVersion": "permitwatch.io/v1", "kind": "BackfillJob", "metadata": {"name": "tomorrow"},
          "spec": {"sourceRef": {"name": "rrc-daily"}, "from": "2026-07-01", "to": "2999-01-01"}}
    async with operator() as runner:
        await create(k, SOURCES, source)
        await create(k, BACKFILLS, bf)
        await until(lambda: status(k, BACKFILLS, "tomorrow").get("phase") == "Invalid", what="Invalid")
        assert ready(status(k, BACKFILLS, "tomorrow"))["reason"] == "FutureRange"
        await asyncio.sleep(2)
        assert len(events(k, "FutureRange")) == 1
        assert not any(key[0] == JOBS for key in list(k.objects))
    assert runner.exit_code == 0, runner.output


async def test_workspace_quota_writes_the_row_reports_usage_and_releases_it(cluster, app_conn, worker_conn, owner_conn):
    k, settings = cluster
    ws = admin.create_workspace(app_conn, "Acme Land", "landman@example.com").workspace_id
    doc = load_yaml(CRDS / "samples" / "workspacequota-acme.yaml")[0]
    doc["spec"]["workspaceId"] = str(ws)
    worker_conn.execute("INSERT INTO delivery_usage_daily (workspace_id, day, channel, count) VALUES (%s, current_date, 'sms', 7)", (ws,))
    worker_conn.commit()
    async with operator() as runner:
        await create(k, QUOTAS, doc)
        await until(lambda: ready(status(k, QUOTAS, "acme-land"))["status"] == "True", what="Ready")
        row = worker_conn.execute("SELECT sms_per_day, sms_per_month, email_per_month, api_calls_per_month, api_rate_per_minute, "
                                  "exports_per_day, managed_by FROM workspace_quotas WHERE workspace_id = %s", (ws,)).fetchone()
        worker_conn.commit()
        assert row == (100, 2000, 20000, 100000, 120, 50, f"k8s:{NS}/acme-land")
        st = status(k, QUOTAS, "acme-land")
        assert st["usage"]["sms"] == "7/2000" and st["usage"]["smsToday"] == "7/100" and st["used"]["smsThisMonth"] == 7

        await patch(k, f"/apis/permitwatch.io/v1/namespaces/{NS}/workspacequotas/acme-land",
                    {"metadata": {"generation": 2}, "spec": {"alertRateLimits": {"smsPerDay": 5}}})
        await until(lambda: status(k, QUOTAS, "acme-land")["usage"]["smsToday"] == "7/5", what="new limit")
        assert worker_conn.execute("SELECT sms_per_day FROM workspace_quotas WHERE workspace_id = %s", (ws,)).fetchone() == (5,)
        worker_conn.commit()
        meta = k.objects[QUOTAS, NS, "acme-land"]["metadata"]
        assert "permitwatch.io/finalizer" in meta.get("finalizers", ())  # the row lives outside Kubernetes

        # Deletion waits for the finalizer: the operator releases the row, then the object goes.
        r = await k.delete(f"/apis/permitwatch.io/v1/namespaces/{NS}/workspacequotas/acme-land")
        assert r.status == 200
        await until(lambda: not exists(k, QUOTAS, "acme-land"), what="quota deleted after its finalizer")
        assert worker_conn.execute("SELECT count(*) FROM workspace_quotas WHERE workspace_id = %s", (ws,)).fetchone() == (0,)
        worker_conn.commit()
    audited = app_conn.execute("SELECT action FROM audit_log WHERE entity_type = 'workspace_quota' ORDER BY id").fetchall()
    assert [a for (a,) in audited] == []  # RLS: the app role sees it only in that workspace's context
    trail = owner_conn.execute("SELECT action, metadata->>'managed_by' FROM audit_log WHERE entity_type = 'workspace_quota' ORDER BY id").fetchall()
    assert trail == [("quota.applied", f"k8s:{NS}/acme-land"), ("quota.applied", f"k8s:{NS}/acme-land"), ("quota.released", f"k8s:{NS}/acme-land")]
    assert runner.exit_code == 0, runner.output


async def test_quota_for_a_workspace_that_does_not_exist(cluster):
    k, _ = cluster
    doc = load_yaml(CRDS / "samples" / "workspacequota-acme.yaml")[0]
    async with operator() as runner:
        await create(k, QUOTAS, doc)
        await until(lambda: ready(status(k, QUOTAS, "acme-land"))["reason"] == "WorkspaceNotFound", what="refusal")
        await asyncio.sleep(2)
        assert len(events(k, "WorkspaceNotFound")) == 1
    assert runner.exit_code == 0, runner.output
