"""Exports stored in an S3-compatible bucket, as deployments keep them: an S3 API server runs
here (s3rver, from the web folder's npm packages), the worker uploads through the S3 API,
the signed link redirects to a presigned URL of the object, and the sweep deletes it."""

from __future__ import annotations

import csv
import io
import socket
import subprocess
import sys
import time

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient

from services.api.app import create_app
from services.exports import jobs
from services.settings import REPO_ROOT
from tests.api.conftest import Browser
from tests.conftest import env_for, make_settings, news

S3RVER = REPO_ROOT / "web" / "node_modules" / ".bin" / "s3rver"
BUCKET = "permitwatch-exports"


@pytest.fixture
def s3(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (tmp_path / "s3").mkdir()
    proc = subprocess.Popen([str(S3RVER), "-d", str(tmp_path / "s3"), "-a", "127.0.0.1", "-p", str(port), "--configure-bucket", BUCKET],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def s3_settings(stack_env, fresh_db, tmp_path, s3):
    return make_settings(stack_env, fresh_db, tmp_path, secret_key="s3-" + fresh_db, basemap_raster_url="", email_provider="none",
                         export_storage_url=f"s3://{BUCKET}/exports", s3_endpoint_url=s3, s3_access_key_id="S3RVER",
                         s3_secret_access_key="S3RVER")


def test_an_export_goes_to_the_bucket_and_its_link_redirects_to_a_presigned_object(s3_settings, s3):
    news(s3_settings, "2026-07-28")
    with TestClient(create_app(s3_settings)) as client:
        user = Browser(client.app)
        user.signup("consultant@example.com", workspace_name="Consulting")
        job = user.post("/v1/exports", json={"kind": "permits", "format": "csv", "search": {"districts": ["08"]}}).json()
        env = env_for(s3_settings) | {"PERMITWATCH_EXPORT_STORAGE_URL": s3_settings.export_storage_url, "PERMITWATCH_S3_ENDPOINT_URL": s3,
                                      "PERMITWATCH_S3_ACCESS_KEY_ID": "S3RVER", "PERMITWATCH_S3_SECRET_ACCESS_KEY": "S3RVER",
                                      "PERMITWATCH_SECRET_KEY": s3_settings.secret_key}
        proc = subprocess.run([sys.executable, "-m", "workers", "--queues", "export", "--burst"], env=env, capture_output=True, text=True,
                              timeout=300)
        assert proc.returncode == 0, proc.stderr[-2000:]
        done = user.get(f"/v1/exports/{job['id']}").json()
        assert done["status"] == "completed", done
        assert not (s3_settings.data_dir / "exports").exists()  # nothing kept on the worker's disk
        hop = user.get(done["download_url"], follow_redirects=False)
        assert hop.status_code == 307 and hop.headers["location"].startswith(f"{s3}/{BUCKET}/exports/")
        obj = httpx.get(hop.headers["location"])
        assert obj.status_code == 200 and 'filename="' in obj.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(obj.text)))
        assert len(rows) == done["row_count"] > 0 and rows[0]["Status number"]
        with psycopg.connect(s3_settings.database_owner_url) as conn:
            conn.execute("UPDATE export_jobs SET expires_at = now() - interval '1 second' WHERE id = %s", (job["id"],))
        assert jobs.sweep(s3_settings)["expired"] == 1
        assert httpx.get(hop.headers["location"]).status_code == 404  # the object is gone from the bucket
