"""Opening a source file: a local path (plain, gzip or zip) or a URL, streamed.

A URL is downloaded to the data folder first (streamed, hashed on the way), so a file is
always read from disk and its SHA-256 is known before parsing: the same bytes twice are
recognised without parsing them again.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from services.ingestion.errors import SourceError

__all__ = ["SourceError", "SourceFile", "open_source", "snapshot_date"]

_ISO = re.compile(r"(20\d\d)-(\d\d)-(\d\d)")
_COMPACT = re.compile(r"(?<!\d)(20\d\d)(\d\d)(\d\d)(?!\d)")
_US = re.compile(r"(?<!\d)(\d\d)-(\d\d)-(20\d\d)(?!\d)")


@dataclass(frozen=True)
class SourceFile:
    uri: str
    path: Path
    sha256: str
    size: int

    @contextmanager
    def lines(self, zip_members: tuple[str, ...] = ()) -> Iterator[Iterator[str]]:
        """Text lines, decoded as Latin-1 (RRC files are ASCII with stray 0x85 bytes)."""
        with self.path.open("rb") as fh:
            magic = fh.read(4)
        if magic[:2] == b"\x1f\x8b":
            with gzip.open(self.path, "rt", encoding="latin-1", newline="") as fh:
                yield iter(fh)
        elif magic == b"PK\x03\x04":
            with zipfile.ZipFile(self.path) as zf:
                member = _pick_member(zf, zip_members)
                with zf.open(member) as raw:
                    yield iter(io.TextIOWrapper(raw, encoding="latin-1", newline=""))
        else:
            with self.path.open("r", encoding="latin-1", newline="") as fh:
                yield iter(fh)


def _pick_member(zf: zipfile.ZipFile, preferred: tuple[str, ...]) -> str:
    names = [i for i in zf.infolist() if not i.is_dir()]
    if not names:
        raise SourceError("the zip archive is empty")
    for info in names:
        if info.filename.rsplit("/", 1)[-1].lower() in preferred:
            return info.filename
    return max(names, key=lambda i: i.file_size).filename


def snapshot_date(uri: str) -> datetime | None:
    """The snapshot day named in a file name (daf420-2026-07-28.dat, documents_20260728.zip,
    daf420.dat.07-28-2026), as 00:00 UTC."""
    name = uri.rstrip("/").rsplit("/", 1)[-1]
    for pattern, order in ((_ISO, (0, 1, 2)), (_COMPACT, (0, 1, 2)), (_US, (2, 0, 1))):
        m = pattern.search(name)
        if m:
            y, mo, d = (int(m.group(i + 1)) for i in order)
            try:
                return datetime(y, mo, d, tzinfo=UTC)
            except ValueError:
                continue
    return None


def file_digest(path: Path) -> tuple[str, int]:
    h, size = hashlib.sha256(), 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def open_source(uri: str, download_dir: Path, timeout: float = 120.0) -> SourceFile:
    if uri.startswith(("http://", "https://")):
        return _download(uri, download_dir, timeout)
    path = Path(uri).expanduser()
    if path.is_dir():  # a file set (the pending tables): hashed over names and bytes
        h, size = hashlib.sha256(), 0
        for p in sorted(x for x in path.iterdir() if x.is_file()):
            digest, n = file_digest(p)
            h.update(f"{p.name}\0{digest}\0".encode())
            size += n
        return SourceFile(uri, path.resolve(), h.hexdigest(), size)
    if not path.is_file():
        raise SourceError(f"{uri}: no such file")
    digest, size = file_digest(path)
    return SourceFile(uri, path.resolve(), digest, size)


def _download(url: str, download_dir: Path, timeout: float) -> SourceFile:
    download_dir.mkdir(parents=True, exist_ok=True)
    tmp = download_dir / (hashlib.sha256(url.encode()).hexdigest()[:16] + ".part")
    h, size = hashlib.sha256(), 0
    try:
        with httpx.stream("GET", url, timeout=timeout, follow_redirects=True) as resp:
            if resp.status_code != 200:
                raise SourceError(f"{url}: HTTP {resp.status_code}")
            with tmp.open("wb") as fh:
                for chunk in resp.iter_bytes(1 << 20):
                    h.update(chunk)
                    size += len(chunk)
                    fh.write(chunk)
    except httpx.HTTPError as exc:
        tmp.unlink(missing_ok=True)
        raise SourceError(f"{url}: {exc}") from exc
    final = download_dir / f"{h.hexdigest()}.download"
    tmp.replace(final)
    return SourceFile(url, final, h.hexdigest(), size)
