"""Reading one pending-approval file set from disk: a folder or a ZIP holding the
`dp_*_pending*` tables (names with or without their generation stamp), where a `.txt`
member may itself be a ZIP. Returns each table's text lines for the pure parser."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from services.ingestion.errors import SourceError
from services.ingestion.sources.pending import table_of


def _text(data: bytes, name: str) -> list[str]:
    if data[:4] == b"PK\x03\x04":  # a .txt that is a ZIP: the share's download envelope
        with zipfile.ZipFile(io.BytesIO(data)) as inner:
            members = [i for i in inner.infolist() if not i.is_dir()]
            if len(members) != 1:
                raise SourceError(f"{name} is a ZIP of {len(members)} files; expected the one table")
            data = inner.read(members[0])
    return data.decode("latin-1").splitlines()


def read_set(path: Path) -> tuple[dict[str, list[str]], str | None]:
    """(table name -> lines, the set's generation stamp if the names carry one)."""
    if path.is_dir():
        entries = [(p.name, p.read_bytes) for p in sorted(path.iterdir()) if p.is_file()]
    elif zipfile.is_zipfile(path):
        zf = zipfile.ZipFile(path)
        entries = [(i.filename, (lambda i=i: zf.read(i))) for i in zf.infolist() if not i.is_dir()]
    else:
        raise SourceError(f"{path}: a pending set is a folder or a ZIP of dp_*_pending files")
    tables: dict[str, list[str]] = {}
    stamps = set()
    for name, read in entries:
        found = table_of(name)
        if found is None:
            continue
        table, stamp = found
        if table in tables:
            raise SourceError(f"{path}: two {table} files; one set is one generation stamp (found {sorted(stamps)})")
        if stamp:
            stamps.add(stamp)
        tables[table] = _text(read(), name)
    if len(stamps) > 1:
        raise SourceError(f"{path}: files from {len(stamps)} generation stamps ({', '.join(sorted(stamps))}); "
                          "join files of one stamp only")
    if "drilling_permit" not in tables:
        raise SourceError(f"{path}: no dp_drilling_permit_pending file in the set")
    return tables, next(iter(stamps), None)
