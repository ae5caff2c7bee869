"""Reading an RRC GoDrive share over HTTP: its listing, and one file by the postback.

Every download starts from a fresh GET of the share page (the ViewState is bound to the
session and lives minutes), pages to the row if it is not on the first page, posts the
row's name link, and follows the redirect to the download stream. Failures are sorted so
an operator knows what to do: `Blocked` (the site refuses us: 403, 429, TLS or connection
failures, after retries with backoff), `PageChanged` (the page lost the structure the
postback needs: a person must look), `DownloadFailed` (HTML instead of the file, a short
body, a different file: retried from zero, since ranges are not honoured).
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import httpx

from services.ingestion.fetch import SourceFile
from services.ingestion.godrive.page import FileRow, Listing, PageChanged, download_fields, page_fields, parse_listing, parse_partial

log = logging.getLogger("permitwatch.godrive")
# A default library User-Agent gets an empty 403 from the RRC's firewall.
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) permitwatch/1.0"
POSTBACK_PATH = "/webclient/godrive/PublicGoDrive.xhtml"
PAGE_ROWS = 250
_FILENAME = re.compile(r'filename\*?=(?:UTF-8\'\')?"?([^";]+)"?', re.I)


class GoDriveError(RuntimeError):
    kind = "error"


class Blocked(GoDriveError):
    kind = "blocked"


class DownloadFailed(GoDriveError):
    kind = "download_failed"


__all__ = ["Blocked", "DownloadFailed", "GoDriveClient", "GoDriveError", "PageChanged", "share_url"]


def share_url(base_url: str, share_id: str) -> str:
    return f"{base_url.rstrip('/')}/link/{share_id}"


@dataclass(frozen=True)
class Retry:
    attempts: int = 4
    backoff_seconds: float = 30.0  # doubled after each failure
    sleep: Callable[[float], None] = time.sleep


class GoDriveClient:
    def __init__(self, base_url: str, *, timeout: float = 60.0, retry: Retry | None = None):
        self.base_url = base_url.rstrip("/")
        self.timeout = httpx.Timeout(timeout, connect=min(timeout, 15.0))
        self.retry = retry or Retry()

    def _client(self) -> httpx.Client:
        # A new client per operation: a fresh cookie jar, so a fresh session and ViewState.
        return httpx.Client(timeout=self.timeout, follow_redirects=False,
                            headers={"User-Agent": USER_AGENT, "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})

    def _retrying(self, what: str, op: Callable[[], object]):
        delay = self.retry.backoff_seconds
        for attempt in range(1, self.retry.attempts + 1):
            try:
                return op()
            except PageChanged:
                raise
            except (Blocked, DownloadFailed, httpx.TransportError) as exc:
                if attempt == self.retry.attempts:
                    if isinstance(exc, httpx.TransportError):
                        raise Blocked(f"{what}: no answer after {attempt} tries ({type(exc).__name__}: {exc})") from exc
                    raise
                log.warning("%s: %s; retrying in %.0f s (try %d of %d)", what, exc, delay, attempt + 1, self.retry.attempts)
                self.retry.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")

    # ---- listing -------------------------------------------------------------------------

    def _open(self, http: httpx.Client, share_id: str) -> Listing:
        url = share_url(self.base_url, share_id)
        resp = http.get(url)
        _refused(resp, url)
        if resp.status_code == 404:
            raise GoDriveError(f"{url}: no such share (HTTP 404); the RRC may have moved the data set to a new share id")
        if resp.status_code != 200:
            raise Blocked(f"{url}: HTTP {resp.status_code}")
        return parse_listing(resp.text)

    def _page(self, http: httpx.Client, share_id: str, listing: Listing, first: int, rows: int) -> Listing:
        resp = http.post(urljoin(self.base_url + "/", listing.action.lstrip("/")), data=page_fields(listing, first, rows),
                         headers={"Faces-Request": "partial/ajax", "Referer": share_url(self.base_url, share_id)})
        _refused(resp, "paging")
        if resp.status_code != 200 or "partial-response" not in resp.text[:500]:
            raise PageChanged(f"paging the share answered HTTP {resp.status_code} without a partial response")
        return parse_partial(resp.text, listing)

    def _all_rows(self, http: httpx.Client, share_id: str) -> tuple[Listing, list[FileRow]]:
        listing = self._open(http, share_id)
        rows = list(listing.rows)
        while len(rows) < listing.row_count:
            listing = self._page(http, share_id, listing, len(rows), PAGE_ROWS)
            if not listing.rows:
                break
            rows.extend(listing.rows)
        return listing, rows

    def files(self, share_id: str) -> list[FileRow]:
        """Every file of the share (all pages); one small page for a share of < 250 files."""
        def op():
            with self._client() as http:
                return self._all_rows(http, share_id)[1]
        return self._retrying(f"listing share {share_id}", op)

    # ---- download ------------------------------------------------------------------------

    def download(self, share_id: str, name: str, dest_dir: Path, progress: Callable[[int, int | None], None] | None = None) -> SourceFile:
        """One file by name, streamed to `dest_dir`; its SHA-256 is computed on the way."""
        return self._retrying(f"downloading {name}", lambda: self._download_once(share_id, name, dest_dir, progress))

    def _download_once(self, share_id: str, name: str, dest_dir: Path, progress) -> SourceFile:
        with self._client() as http:
            listing = self._open(http, share_id)
            row = listing.find(name)
            offset = len(listing.rows)
            while row is None and offset < listing.row_count:
                listing = self._page(http, share_id, listing, offset, PAGE_ROWS)
                if not listing.rows:
                    break
                offset += len(listing.rows)
                row = listing.find(name)
            if row is None:
                raise DownloadFailed(f"{name} is not listed on share {share_id} any more")
            url = share_url(self.base_url, share_id)
            resp = http.post(urljoin(self.base_url + "/", listing.action.lstrip("/")), data=download_fields(listing, row),
                             headers={"Referer": url, "Origin": self.base_url})
            _refused(resp, "the postback")
            if resp.status_code in (301, 302, 303, 307):
                target = urljoin(self.base_url + "/", resp.headers.get("location", ""))
                with http.stream("GET", target) as stream:
                    return _save(stream, name, dest_dir, f"godrive:{share_id}/{name}", progress)
            if resp.status_code == 200:
                # Some deployments stream the file from the postback itself.
                return _save(resp, name, dest_dir, f"godrive:{share_id}/{name}", progress)
            raise DownloadFailed(f"the postback for {name} answered HTTP {resp.status_code}")


def _refused(resp: httpx.Response, what: str) -> None:
    if resp.status_code in (401, 403, 429):
        raise Blocked(f"{what}: HTTP {resp.status_code} (the RRC site refused us; its firewall blocks some clients and addresses)")


def _save(resp: httpx.Response, name: str, dest_dir: Path, uri: str, progress) -> SourceFile:
    _refused(resp, "the download")
    if resp.status_code != 200:
        raise DownloadFailed(f"the download of {name} answered HTTP {resp.status_code}")
    ctype = resp.headers.get("content-type", "")
    if "html" in ctype or "xml" in ctype:
        raise DownloadFailed(f"an HTML page came back instead of {name} (expired ViewState or session; retrying from a fresh page)")
    m = _FILENAME.search(resp.headers.get("content-disposition", ""))
    if m and m.group(1) != name:
        raise DownloadFailed(f"asked for {name}, the share sent {m.group(1)}")
    expected = int(resp.headers["content-length"]) if resp.headers.get("content-length", "").isdigit() else None
    dest_dir.mkdir(parents=True, exist_ok=True)
    tmp = dest_dir / (hashlib.sha256(uri.encode()).hexdigest()[:16] + ".part")
    h, size = hashlib.sha256(), 0
    try:
        with tmp.open("wb") as fh:
            try:
                for chunk in resp.iter_bytes(1 << 20):
                    h.update(chunk)
                    size += len(chunk)
                    fh.write(chunk)
                    if progress:
                        progress(size, expected)
            except httpx.RemoteProtocolError as exc:
                raise DownloadFailed(f"{name}: the connection closed after {size} bytes ({exc})") from exc
        if expected is not None and size != expected:
            raise DownloadFailed(f"{name}: {size} bytes arrived of the {expected} announced")
        if size == 0:
            raise DownloadFailed(f"{name}: the share sent an empty file")
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    final = dest_dir / f"{h.hexdigest()}.download"
    tmp.replace(final)
    return SourceFile(uri, final, h.hexdigest(), size)


def unwrap(sf: SourceFile, dest_dir: Path) -> list[tuple[str, Path]]:
    """The files a download holds: itself, or the members of a ZIP (the share's
    `documents_YYYYMMDD.zip` envelope, and `.txt` names that are ZIPs), by magic bytes."""
    with sf.path.open("rb") as fh:
        magic = fh.read(4)
    if magic != b"PK\x03\x04":
        return [(sf.uri.rsplit("/", 1)[-1], sf.path)]
    out = []
    target = dest_dir / f"{sf.sha256[:16]}.unzipped"
    target.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(sf.path) as zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            base = Path(info.filename).name
            path = target / base
            with zf.open(info) as src, path.open("wb") as dst:
                while chunk := src.read(1 << 20):
                    dst.write(chunk)
            out.append((base, path))
    if not out:
        raise DownloadFailed(f"{sf.uri}: the ZIP holds no file")
    return out
