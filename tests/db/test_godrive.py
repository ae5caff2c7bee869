"""The GoDrive client against a local server that speaks the RRC share protocol (page,
session cookie, ViewState, postback, redirect, download), its failure modes, and the
poll that ingests what a share publishes with "Modified On" as the publication time."""

import gzip
import os
import zipfile
from datetime import UTC, datetime, timedelta

import pytest

from services.ingestion import poll
from services.ingestion.godrive.client import Blocked, DownloadFailed, GoDriveClient, PageChanged, Retry, unwrap
from services.ingestion.godrive.local_server import LocalGoDrive
from services.ingestion.godrive.page import parse_listing
from tests.conftest import sample

SHARE = "5f07cc72-2e79-4df8-ade1-9aeb792e03fc"


@pytest.fixture
def share_root(tmp_path):
    (tmp_path / "shares" / SHARE).mkdir(parents=True)
    return tmp_path / "shares"


def _put(root, name: str, data: bytes, at: datetime) -> None:
    path = root / SHARE / name
    path.write_bytes(data)
    os.utime(path, (at.timestamp(), at.timestamp()))


def _client(url, attempts=3):
    slept = []
    return GoDriveClient(url, timeout=10, retry=Retry(attempts, 0.01, slept.append)), slept


def test_listing_reads_names_modified_on_and_sizes_across_pages(share_root, tmp_path):
    base = datetime(2026, 7, 28, 14, 45, 10, tzinfo=UTC)
    for i in range(260):
        _put(share_root, f"file{i:03d}.txt", b"x" * (i + 1), base + timedelta(minutes=i))
    with LocalGoDrive(share_root, page_rows=250) as srv:
        gd, _ = _client(srv.url)
        rows = gd.files(SHARE)
    assert len(rows) == 260 and len({r.name for r in rows}) == 260  # the second page was fetched
    newest = rows[0]
    assert newest.name == "file259.txt" and newest.modified_at == base + timedelta(minutes=259)
    assert newest.approx_bytes == 260 and [r.index for r in rows[249:251]] == [249, 250]


def test_download_by_postback_returns_the_exact_bytes_and_unwraps_a_zip_envelope(share_root, tmp_path):
    daily = gzip.decompress(sample("2026-07-28").read_bytes())
    envelope = tmp_path / "documents_20260728.zip"
    with zipfile.ZipFile(envelope, "w") as zf:
        zf.writestr("daf420.dat", daily)
    _put(share_root, "documents_20260728.zip", envelope.read_bytes(), datetime.now(UTC))
    with LocalGoDrive(share_root) as srv:
        gd, _ = _client(srv.url)
        sf = gd.download(SHARE, "documents_20260728.zip", tmp_path / "dl")
        requests = list(srv.state.requests)
    assert sf.size == envelope.stat().st_size
    [(name, path)] = unwrap(sf, tmp_path / "dl")
    assert name == "daf420.dat" and path.read_bytes() == daily
    # page, postback, then the download stream in the same session
    assert requests == [f"GET /link/{SHARE}", "POST /webclient/godrive/PublicGoDrive.xhtml", "GET /link/godrivedownload"]


@pytest.mark.parametrize("fault", ["expire", "html", "truncate"])
def test_a_failed_postback_or_short_download_is_retried_from_a_fresh_page(share_root, tmp_path, fault):
    _put(share_root, "daf420.dat", b"01" + b"9" * 5000, datetime.now(UTC))
    with LocalGoDrive(share_root) as srv:
        srv.state.faults.append(fault)
        gd, slept = _client(srv.url)
        sf = gd.download(SHARE, "daf420.dat", tmp_path / "dl")
        pages = sum(1 for r in srv.state.requests if r == f"GET /link/{SHARE}")
    assert sf.size == 5002 and sf.path.read_bytes().startswith(b"01999")
    assert pages == 2 and len(slept) == 1  # one backoff, then a new session and ViewState


def test_a_download_that_keeps_failing_says_what_came_back(share_root, tmp_path):
    _put(share_root, "daf420.dat", b"01" + b"9" * 5000, datetime.now(UTC))
    with LocalGoDrive(share_root) as srv:
        srv.state.faults.extend(["truncate"] * 3)
        gd, slept = _client(srv.url)
        with pytest.raises(DownloadFailed, match="announced|closed"):
            gd.download(SHARE, "daf420.dat", tmp_path / "dl")
    assert slept == [0.01, 0.02]  # backoff doubles
    assert not list((tmp_path / "dl").glob("*.part")) and not list((tmp_path / "dl").glob("*.download"))


def test_a_refusal_is_told_apart_from_a_changed_page(share_root, tmp_path):
    _put(share_root, "daf420.dat", b"0123", datetime.now(UTC))
    with LocalGoDrive(share_root) as srv:
        srv.state.faults.extend(["403"] * 3)
        gd, slept = _client(srv.url)
        with pytest.raises(Blocked, match="HTTP 403"):
            gd.files(SHARE)
        assert len(slept) == 2
        srv.state.faults.append("page_changed")
        gd, slept = _client(srv.url)
        with pytest.raises(PageChanged, match="form#fileList"):
            gd.files(SHARE)
        assert slept == []  # a changed page needs a person, not a retry


def test_a_page_without_its_postback_structure_is_page_changed():
    with pytest.raises(PageChanged, match="ViewState"):
        parse_listing('<form id="fileList" action="/x"><input type="hidden" name="a" value="b"/></form>')
    html = ('<form id="fileList" action="/x"><input type="hidden" name="javax.faces.ViewState" value="v"/>'
            '<table><tbody id="fileTable_data"><tr data-ri="0" data-rk="1"><td class="NameColumn">daf420.dat</td>'
            '<td class="ModifiedOnColumn">7/28/26 9:45:00 AM</td></tr></tbody></table></form>')
    with pytest.raises(PageChanged, match="name link"):
        parse_listing(html)


def test_the_modified_on_text_is_central_time():
    html = ('<form id="fileList" action="/x"><input type="hidden" name="javax.faces.ViewState" value="v"/>'
            '<table><tbody id="fileTable_data"><tr data-ri="0" data-rk="1"><td class="NameColumn"><a id="fileTable:0:j_id_9z">'
            'daf420.dat</a></td><td class="ModifiedOnColumn">7/2/26 10:00:54 AM</td><td class="SizeColumn">1.98 MB</td></tr>'
            '</tbody></table></form>')
    [row] = parse_listing(html).rows
    assert row.modified_at == datetime(2026, 7, 2, 15, 0, 54, tzinfo=UTC)  # CDT is UTC-5
    assert row.link_id == "fileTable:0:j_id_9z" and row.approx_bytes == round(1.98 * 1024 * 1024)


def test_poll_ingests_what_the_share_publishes_once_with_its_publication_time(settings, share_root, tmp_path):
    published = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=3)
    _put(share_root, "daf420.dat", gzip.decompress(sample("2026-07-27").read_bytes()), published)
    _put(share_root, "readme.txt", b"not a permit file", published)
    with LocalGoDrive(share_root) as srv:
        s = settings.model_copy(update={"rrc_godrive_url": srv.url, "godrive_backoff_seconds": 0.01})
        [first] = poll.poll(s, only="rrc_daf420")
        assert first.promoted and first.snapshot_at == published and first.uri == f"godrive:{SHARE}/daf420.dat"
        assert first.metrics["history"] is True  # the source's first load
        assert poll.poll(s, only="rrc_daf420") == []  # nothing new: one page, no download
        assert sum(1 for r in srv.state.requests if "godrivedownload" in r) == 1
        later = published + timedelta(minutes=2)
        _put(share_root, "daf420.dat", gzip.decompress(sample("2026-07-28").read_bytes()), later)
        [second] = poll.poll(s, only="rrc_daf420")
        assert second.promoted and second.snapshot_at == later and second.metrics["history"] is False
        [entry] = [e for e in poll.check(s) if e["source"] == "rrc_daf420"]
    assert entry["newest"]["key"] == "daf420.dat" and entry["waiting"] == []
    last = entry["last_ingested"]
    assert last["published_at"] == later and later < last["fetched_at"] <= last["finished_at"]
    assert last["first_evaluated_at"] is None and last["first_delivered_at"] is None  # no rules here, so no alerts
