"""The image is real: built from the Dockerfile (scripts/image.sh, run by the test command),
each role the chart runs is started from it with host networking against the local stack,
as the chart runs it (the image's non-root user, a read-only root filesystem, /work, a volume,
the only writable place), and does its job: the web app answers, the evaluate and deliver
processes bring a change to an inbox, an ingestion CronJob's command fetches from a local
GoDrive share and ingests, and the operator turns an IngestionSource into its CronJob."""

from __future__ import annotations

import asyncio
import gzip
import shutil
import socket
import subprocess
import time
from datetime import UTC, datetime

import httpx
import pytest
import yaml

from controllers import specs
from controllers.desired import ingestion as desired
from controllers.desired.common import Cluster
from services.ingestion.godrive.local_server import LocalGoDrive
from services.settings import REPO_ROOT
from tests.conftest import env_for, midland_rule, news, sample
from tests.k8s.schemas import CRDS, load_yaml
from tests.k8s.test_operator import CRONJOBS, NS, SOURCES, cluster, create, until  # noqa: F401 -- the fixture

IMAGE = "localhost/permitwatch:dev"
PODMAN = ["podman", "--runtime", "runc", "--cgroup-manager=cgroupfs"]
pytestmark = pytest.mark.skipif(shutil.which("podman") is None, reason="podman is installed by scripts/test.sh")


def _image_built() -> bool:
    return subprocess.run([*PODMAN, "image", "exists", IMAGE], capture_output=True).returncode == 0


def run_args(env: dict[str, str], name: str) -> list[str]:
    """`podman run` as the chart runs a container: its user, read-only root, /work writable."""
    # /work: an anonymous volume, like the chart's emptyDir (podman 4.3 does not apply a tmpfs mode here)
    flags = ["--rm", "--name", name, "--network=host", "--read-only", "-v", "/work",
             "--ulimit", "nofile=20000:20000", "--ulimit", "nproc=4096:4096", "--user", "10001", "--cap-drop=ALL",
             "--security-opt", "no-new-privileges"]
    env = env | {"PERMITWATCH_DATA_DIR": "/work/data", "PERMITWATCH_SMS_FOLDER": "/work/sms"}
    for k, v in env.items():
        if k.startswith("PERMITWATCH_") or k in ("NO_PROXY", "no_proxy"):
            flags += ["-e", f"{k}={v}"]
    return [*PODMAN, "run", *flags, IMAGE]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(name: str) -> None:
    subprocess.run([*PODMAN, "rm", "-f", "-t", "5", name], capture_output=True, timeout=60)


@pytest.fixture(scope="module", autouse=True)
def image():
    if not _image_built():
        pytest.fail("the image is not built: scripts/test.sh builds it with scripts/image.sh")


def test_the_web_role_serves_the_app_as_the_non_root_user(settings):
    port = _free_port()
    env = env_for(settings) | {"PERMITWATCH_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", "PERMITWATCH_SECRET_KEY": f"image-{port}"}
    name = f"pw-web-{port}"
    proc = subprocess.Popen([*run_args(env, name), "permitwatch", "web", "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
        status = httpx.get(f"http://127.0.0.1:{port}/v1/status", timeout=5).json()
        assert "stale" in status and "permits" in status
        landing = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
        assert landing.status_code == 200 and "Never miss a drilling permit" in landing.text and "RRC data" in landing.text
        assert httpx.get(f"http://127.0.0.1:{port}/static/site.css", timeout=5).status_code == 200
        page = httpx.get(f"http://127.0.0.1:{port}/app", timeout=5)
        assert page.status_code == 200 and "<script" in page.text
        user = subprocess.run([*PODMAN, "exec", name, "id", "-u"], capture_output=True, text=True, timeout=30).stdout.strip()
        assert user == "10001"
    finally:
        _stop(name)
        proc.wait(60)


def test_the_charts_evaluate_and_deliver_processes_bring_a_change_to_the_inbox(settings, app_conn, worker_conn):
    midland_rule(app_conn, "Image", "image@example.com")
    values = yaml.safe_load((REPO_ROOT / "charts" / "permitwatch" / "values.yaml").read_text())
    env = env_for(settings) | {"PERMITWATCH_EMAIL_PROVIDER": "none", "PERMITWATCH_SMS_PROVIDER": "none"}
    names = [f"pw-{pool}-{settings.database_url.rsplit('/', 1)[1][-8:]}" for pool in ("evaluate", "deliver")]
    procs = [subprocess.Popen([*run_args(env, name), *values["workers"][pool]["command"]], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) for name, pool in zip(names, ("evaluate", "deliver"), strict=True)]
    try:
        time.sleep(3)
        news(settings, "2026-07-28")
        deadline = time.monotonic() + 90
        while worker_conn.execute("SELECT count(*) FROM notifications").fetchone()[0] == 0 and time.monotonic() < deadline:
            worker_conn.commit()
            time.sleep(0.5)
        assert worker_conn.execute("SELECT count(*) FROM notifications").fetchone()[0] > 0
    finally:
        for name in names:
            _stop(name)
        for p in procs:
            p.wait(60)


def test_an_ingestion_cronjobs_command_fetches_from_a_godrive_share_and_ingests(settings, app_conn, tmp_path):
    source = specs.source_spec(load_yaml(CRDS / "samples" / "ingestionsource-rrc-daily.yaml")[0]["spec"])
    command = desired.cronjob("rrc-daily", NS, source, Cluster(image=IMAGE))["spec"]["jobTemplate"]["spec"]["template"]["spec"][
        "containers"][0]["command"]
    share = tmp_path / "shares" / source.godrive.share_id
    share.mkdir(parents=True)
    (share / "daf420.dat").write_bytes(gzip.decompress(sample("2026-07-27").read_bytes()))
    with LocalGoDrive(tmp_path / "shares") as server:
        env = env_for(settings) | {"PERMITWATCH_RRC_GODRIVE_URL": server.url}
        done = subprocess.run([*run_args(env, f"pw-ingest-{_free_port()}"), *command], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    uri, promoted, published = app_conn.execute("SELECT source_uri, promoted, snapshot_at FROM ingestion_runs").fetchone()
    assert promoted and uri == f"godrive:{source.godrive.share_id}/daf420.dat"
    assert abs((published - datetime.fromtimestamp((share / "daf420.dat").stat().st_mtime, UTC)).total_seconds()) < 1


@pytest.mark.asyncio
async def test_the_operator_role_reconciles_an_ingestion_source_into_its_cronjob(cluster, tmp_path):  # noqa: F811
    k, settings = cluster
    kubeconfig = tmp_path / "kubeconfig"  # the fixture's, pointing at the emulator on this host
    kubeconfig.chmod(0o644)
    argv = ["kopf", "run", "--standalone", "--all-namespaces", "-m", "controllers.operator"]  # as the chart's operator runs
    env = env_for(settings) | {"PERMITWATCH_OPERATOR_RESYNC_SECONDS": "1", "PERMITWATCH_K8S_IMAGE": "permitwatch:test",
                               "KUBECONFIG": "/kubeconfig"}
    name = f"pw-operator-{_free_port()}"
    args = run_args(env, name)
    cmd = [*args[:-1], "-e", "KUBECONFIG=/kubeconfig", "-v", f"{kubeconfig}:/kubeconfig:ro", IMAGE, *argv]
    proc = await asyncio.create_subprocess_exec(*cmd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        doc = load_yaml(CRDS / "samples" / "ingestionsource-rrc-daily.yaml")[0]
        await create(k, SOURCES, doc)
        await until(lambda: (CRONJOBS, NS, "rrc-daily-ingest") in k.objects, timeout=90, what="the CronJob from the operator in the image")
        cj = k.objects[CRONJOBS, NS, "rrc-daily-ingest"]
        assert cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["command"][:3] == ["permitwatch", "sources", "poll"]
    finally:
        await asyncio.to_thread(_stop, name)
        out = (await proc.communicate())[0].decode(errors="replace")
    assert "Traceback" not in out, out[-3000:]


def test_the_charts_export_pool_renders_an_area_report_to_pdf_in_the_image(settings, app_conn, owner_conn):
    """WeasyPrint needs Pango and a font: the image carries them, so the export pool, run as
    the chart runs it, makes an AOI Activity Report."""
    from datetime import date

    from services.db.engine import set_tenant
    from services.exports import jobs
    from services.exports import report_jobs as reports
    from services.tenancy import admin

    news(settings, "2026-07-28")
    ws = admin.create_workspace(app_conn, "Image reports", "reports@example.com", verified=True)
    # Andrews County, where the sample's permits carry their coordinates
    aoi = admin.create_aoi(app_conn, ws.workspace_id, "Andrews", {"type": "Polygon", "coordinates": [
        [[-102.8, 32.0], [-102.0, 32.0], [-102.0, 32.6], [-102.8, 32.6], [-102.8, 32.0]]]}, buffer_meters=0, created_by=ws.user_id)
    with app_conn.transaction():
        cur = app_conn.cursor()
        set_tenant(cur, ws.workspace_id, ws.user_id)
        job = reports.ask(cur, settings.model_copy(update={"secret_key": "image"}), ws.workspace_id, ws.user_id, aoi,
                          date(2026, 7, 1), date(2026, 7, 28), [])
    values = yaml.safe_load((REPO_ROOT / "charts" / "permitwatch" / "values.yaml").read_text())
    env = env_for(settings) | {"PERMITWATCH_SECRET_KEY": "image"}
    name = f"pw-export-{settings.database_url.rsplit('/', 1)[1][-8:]}"
    proc = subprocess.Popen([*run_args(env, name), *values["workers"]["export"]["command"]], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        jobs.enqueue(settings, job, ws.workspace_id)
        row = reports.wait_done(owner_conn, job, 120)
    finally:
        _stop(name)
        proc.wait(60)
    assert row["status"] == "completed", row["error"]
    assert row["storage_key"].endswith(".pdf") and row["summary"]["pages"] >= 3 and row["summary"]["rows"]["new"] > 0
