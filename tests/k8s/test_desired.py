"""PURE desired state: every manifest the operator builds is valid for Kubernetes (official
schemas, strict) and says what the resource asked for; specs that cannot work are refused
with a reason; status decisions (drift, chunk order, conditions) hold."""

from __future__ import annotations

import shlex
from datetime import UTC, date, datetime, timedelta

import pytest

from controllers import specs
from controllers.desired import backfill, ingestion, quota
from controllers.desired.common import Cluster, child_name
from controllers.status import backfill_step, condition, drift, job_state, merge_conditions
from tests.k8s.schemas import CRDS, defaulted, k8s_errors, load_yaml

CLUSTER = Cluster(image="registry.example/permitwatch:1.2.3")
TODAY = date(2026, 11, 25)


def sample(name: str) -> dict:
    return defaulted(load_yaml(CRDS / "samples" / name)[0])


SOURCE = specs.source_spec(sample("ingestionsource-rrc-daily.yaml")["spec"])


def test_cronjob_polls_the_rrc_share_each_tick_with_the_sources_settings():
    cj = ingestion.cronjob("rrc-daily", "permits", SOURCE, CLUSTER)
    assert k8s_errors(cj) == []
    assert cj["metadata"] == {"name": "rrc-daily-ingest", "namespace": "permits", "labels": cj["metadata"]["labels"]}
    spec = cj["spec"]
    assert (spec["schedule"], spec["timeZone"], spec["suspend"], spec["concurrencyPolicy"]) == ("*/10 * * * 1-5", "America/Chicago", False, "Forbid")
    pod = spec["jobTemplate"]["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    assert c["command"] == ["permitwatch", "sources", "poll", "--source", "rrc_daf420",
                            "--share", "5f07cc72-2e79-4df8-ade1-9aeb792e03fc", "--pattern", "daf420*"]
    assert c["image"] == "registry.example/permitwatch:1.2.3"
    env = {e["name"]: e["value"] for e in c["env"]}
    assert env["PERMITWATCH_QA_COUNT_DROP_FAIL"] == "0.5" and env["PERMITWATCH_QA_QUARANTINE_FAIL"] == "0.1"
    assert c["resources"] == {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"memory": "2Gi"}}
    assert {"secretRef": {"name": "permitwatch-env"}} in c["envFrom"]
    assert pod["restartPolicy"] == "Never" and pod["securityContext"]["runAsNonRoot"] is True


def test_location_suspend_and_image_reach_the_cronjob():
    s = specs.source_spec({"type": "rrc_daf420", "location": "https://mirror.example/daf420.dat", "suspend": True,
                           "schedule": "15 7 * * 1-5", "worker": {"image": "other:2", "replicas": 3, "queue": "ingest-fast"}})
    cj = ingestion.cronjob("src", "ns", s, CLUSTER)
    c = cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert c["command"][3] == "https://mirror.example/daf420.dat" and c["image"] == "other:2"
    assert cj["spec"]["suspend"] is True and cj["spec"]["schedule"] == "15 7 * * 1-5"
    dep = ingestion.worker_deployment("src", "ns", s, CLUSTER)
    assert k8s_errors(dep) == []
    assert dep["spec"]["replicas"] == 3
    assert dep["spec"]["template"]["spec"]["containers"][0]["command"] == ["python", "-m", "workers", "--queues", "ingest-fast"]
    assert dep["spec"]["selector"]["matchLabels"].items() <= dep["spec"]["template"]["metadata"]["labels"].items()


def test_long_names_stay_within_kubernetes_limits_and_stay_distinct():
    long_a, long_b = "a" * 60 + "-one", "a" * 60 + "-two"
    a, b = ingestion.cronjob_name(long_a), ingestion.cronjob_name(long_b)
    assert len(a) <= 52 and len(b) <= 52 and a != b and a.endswith("-ingest")
    assert child_name("short", "worker") == "short-worker"
    assert len(backfill.job_name("b" * 70, 3)) <= 63


@pytest.mark.parametrize("spec, reason", [
    ({"type": "ftp_mirror"}, "UnknownSourceType"),
    ({}, "UnknownSourceType"),
])
def test_source_that_cannot_work_is_refused_with_a_reason(spec, reason):
    with pytest.raises(specs.Invalid) as err:
        specs.source_spec(spec)
    assert err.value.reason == reason and "rrc_daf420" in str(err.value)


@pytest.mark.parametrize("spec, reason", [
    ({"type": "rrc_daf420", "location": "/data/daf420.dat", "godrive": {"shareId": "5f07cc72-2e79-4df8-ade1-9aeb792e03fc"}},
     "TwoLocations"),
    ({"type": "rrc_daf420", "godrive": {"shareId": "../etc"}}, "InvalidShare"),
])
def test_a_share_location_that_cannot_work_is_refused(spec, reason):
    with pytest.raises(specs.Invalid) as err:
        specs.source_spec(spec)
    assert err.value.reason == reason


def test_a_share_on_another_site_gets_its_url_and_the_default_pattern():
    s = specs.source_spec({"type": "rrc_daf420", "godrive": {"shareId": "5f07cc72-2e79-4df8-ade1-9aeb792e03fc",
                                                             "url": "https://mft-mirror.example"}})
    c = ingestion.cronjob("src", "ns", s, CLUSTER)["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert c["command"][-2:] == ["--pattern", "daf420*"]
    assert {"name": "PERMITWATCH_RRC_GODRIVE_URL", "value": "https://mft-mirror.example"} in c["env"]


def test_backfill_chunks_cover_the_range_once_in_order():
    spec = specs.backfill_spec(sample("backfilljob-july-2026.yaml")["spec"], TODAY)
    chunks = backfill.chunks(spec)
    assert [(c.start.day, c.end.day) for c in chunks] == [(1, 7), (8, 14), (15, 21), (22, 28), (29, 31)]
    days = [c.start + timedelta(days=d) for c in chunks for d in range((c.end - c.start).days + 1)]
    assert days == [date(2026, 7, 1) + timedelta(days=d) for d in range(31)]
    job = backfill.job("july-2026", "permits", chunks[1], spec, SOURCE, CLUSTER)
    assert k8s_errors(job) == []
    c = job["spec"]["template"]["spec"]["containers"][0]
    assert shlex.join(c["command"]) == "permitwatch ingest backfill --source rrc_daf420 /data/rrc --from 2026-07-08 --to 2026-07-14"
    assert {"name": "files", "mountPath": "/data/rrc", "readOnly": True} in c["volumeMounts"]
    assert {"name": "files", "persistentVolumeClaim": {"claimName": "rrc-archive", "readOnly": True}} in job["spec"]["template"]["spec"]["volumes"]
    assert job["metadata"]["labels"]["permitwatch.io/chunk"] == "1"
    assert job["metadata"]["annotations"]["permitwatch.io/chunk"] == "2026-07-08..2026-07-14"


def test_backfill_of_files_passes_each_file():
    spec = specs.backfill_spec(sample("backfilljob-files.yaml")["spec"], TODAY)
    (chunk,) = backfill.chunks(spec)
    job = backfill.job("missed-days", "ns", chunk, spec, SOURCE, CLUSTER)
    cmd = job["spec"]["template"]["spec"]["containers"][0]["command"]
    assert cmd[cmd.index("--file") + 1] == "/data/rrc/daf420-2026-07-09.dat.gz" and cmd.count("--file") == 2
    assert k8s_errors(job) == []


@pytest.mark.parametrize("spec, reason", [
    ({"sourceRef": {"name": "s"}, "from": "2026-11-20", "to": "2026-12-31"}, "FutureRange"),
    ({"sourceRef": {"name": "s"}, "from": "2026-07-31", "to": "2026-07-01"}, "EmptyRange"),
    ({"sourceRef": {"name": "s"}}, "MissingRange"),
    ({"sourceRef": {"name": "s"}, "from": "2026-07-01", "to": "2026-07-02", "files": ["/x/daf420-2026-07-01.dat"]}, "AmbiguousRange"),
    ({"from": "2026-07-01", "to": "2026-07-02"}, "MissingSource"),
])
def test_backfill_that_cannot_work_is_refused_with_a_reason(spec, reason):
    with pytest.raises(specs.Invalid) as err:
        specs.backfill_spec(spec, TODAY)
    assert err.value.reason == reason


def test_ordered_sources_run_one_chunk_at_a_time():
    spec = specs.backfill_spec({"sourceRef": {"name": "s"}, "from": "2026-07-01", "to": "2026-07-31", "parallelism": 4}, TODAY)
    assert backfill.effective_parallelism(spec, SOURCE) == 1
    assert backfill_step(5, {}, 1, ordered=True).start == [0]
    assert backfill_step(5, {0: "active"}, 1, ordered=True).start == []
    step = backfill_step(5, {0: "succeeded", 1: "succeeded"}, 1, ordered=True)
    assert (step.phase, step.start, step.done) == ("Running", [2], 2)
    assert backfill_step(5, {0: "succeeded", 1: "failed"}, 1, ordered=True).phase == "Failed"
    assert backfill_step(5, {0: "succeeded", 1: "failed"}, 2, ordered=False).start == [2, 3]
    assert backfill_step(2, {0: "succeeded", 1: "failed"}, 2, ordered=False).phase == "Failed"
    assert backfill_step(2, {0: "succeeded", 1: "succeeded"}, 1, ordered=True).phase == "Succeeded"


def test_job_state_reads_conditions_and_counts():
    assert job_state({}) == "active"
    assert job_state({"status": {"succeeded": 1}}) == "succeeded"
    assert job_state({"status": {"conditions": [{"type": "Failed", "status": "True"}]}}) == "failed"
    assert job_state({"status": {"conditions": [{"type": "Complete", "status": "True"}]}}) == "succeeded"


def test_drift_ignores_server_defaults_but_sees_edits():
    want = ingestion.cronjob("rrc-daily", "ns", SOURCE, CLUSTER)
    live = {**want, "status": {"lastScheduleTime": "x"}, "metadata": {**want["metadata"], "uid": "u", "resourceVersion": "7"}}
    live["spec"] = {**want["spec"], "jobTemplate": want["spec"]["jobTemplate"]}
    assert drift(want, live) == []
    import copy
    edited = copy.deepcopy(live)
    edited["spec"]["schedule"] = "0 0 * * *"
    edited["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["env"].append({"name": "X", "value": "1"})
    assert drift(want, edited) == ["spec.schedule", "spec.jobTemplate.spec.template.spec.containers[0].env"]


def test_conditions_keep_their_transition_time_until_the_status_changes():
    t0, t1 = datetime(2026, 11, 25, 8, tzinfo=UTC), datetime(2026, 11, 25, 9, tzinfo=UTC)
    first = condition("Ready", True, "Reconciled", "ok", t0, 1)
    same = condition("Ready", True, "Reconciled", "ok again", t1, 2, [first])
    assert same["lastTransitionTime"] == "2026-11-25T08:00:00Z" and same["observedGeneration"] == 2
    flipped = condition("Ready", False, "UnknownSourceType", "no", t1, 2, [same])
    assert flipped["lastTransitionTime"] == "2026-11-25T09:00:00Z"
    merged = merge_conditions([first, {"type": "Other", "status": "True"}], flipped)
    assert [c["type"] for c in merged] == ["Other", "Ready"]


def test_quota_row_and_usage_status():
    q = specs.quota_spec(sample("workspacequota-acme.yaml")["spec"])
    assert quota.quota_row(q) == {"sms_per_day": 100, "email_per_day": 1000, "sms_per_month": 2000, "email_per_month": 20000,
                                  "api_calls_per_month": 100000, "api_rate_per_minute": 120, "exports_per_day": 50}
    used = {"sms_month": 12, "email_month": 40, "api_calls_month": 0, "export_jobs_today": 1, "sms_today": 2, "email_today": 5}
    st = quota.usage_status(q, used)
    assert st["usage"]["sms"] == "12/2000" and st["usage"]["smsToday"] == "2/100" and st["used"]["emailThisMonth"] == 40
    unlimited = specs.quota_spec({"workspaceId": str(q.workspace_id)})
    assert quota.usage_status(unlimited, used)["usage"]["apiCalls"] == "0/unlimited"
    with pytest.raises(specs.Invalid) as err:
        specs.quota_spec({"workspaceId": "acme"})
    assert err.value.reason == "BadWorkspaceId"


def test_the_schema_check_catches_what_kubernetes_would_refuse():
    cj = ingestion.cronjob("rrc-daily", "ns", SOURCE, CLUSTER)
    cj["spec"]["jobTemplate"]["spec"]["backoffLimit"] = "two"
    assert "backoffLimit" in k8s_errors(cj)[0]
    dep = ingestion.worker_deployment("rrc-daily", "ns", SOURCE, CLUSTER)
    dep["spec"]["replica"] = 2  # typo: strict validation refuses unknown fields
    assert k8s_errors(dep) != []
