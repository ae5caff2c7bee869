"""Where export files live: a folder on local disk (the local stack) or any S3-compatible
bucket (deployments). A file appears under its key whole or not at all: local files are
renamed into place, S3 uploads complete as one object."""

from __future__ import annotations

import os
import shutil
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

from services.settings import Settings


class LocalStorage:
    def __init__(self, root: Path):
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"storage key {key!r} leaves the export folder")
        return path

    def put(self, src: Path, key: str, media_type: str) -> None:
        dest = self._path(key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".part")
        shutil.copyfile(src, tmp)
        os.replace(tmp, dest)

    def path(self, key: str) -> Path | None:
        path = self._path(key)
        return path if path.exists() else None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def read(self, key: str) -> bytes | None:
        path = self.path(key)
        return path.read_bytes() if path else None

    def presigned_url(self, key: str, file_name: str, seconds: int) -> str | None:
        return None  # served by the API behind its own signed link


class S3Storage:
    """Any S3-compatible store, through the MinIO client (plain S3 API: signature V4,
    multipart upload, presigned GET)."""

    def __init__(self, settings: Settings, url: str):
        from minio import Minio  # only deployments that store in S3 load it

        parsed, endpoint = urlparse(url), urlparse(settings.s3_endpoint_url or "https://s3.amazonaws.com")
        self.bucket, self.prefix = parsed.netloc, parsed.path.strip("/")
        self.client = Minio(endpoint.netloc, access_key=settings.s3_access_key_id, secret_key=settings.s3_secret_access_key,
                            region=settings.s3_region, secure=endpoint.scheme == "https")

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, src: Path, key: str, media_type: str) -> None:
        self.client.fput_object(self.bucket, self._key(key), str(src), content_type=media_type)

    def path(self, key: str) -> Path | None:
        return None

    def delete(self, key: str) -> None:
        self.client.remove_object(self.bucket, self._key(key))

    def read(self, key: str) -> bytes | None:
        from minio.error import S3Error

        try:
            resp = self.client.get_object(self.bucket, self._key(key))
        except S3Error as exc:
            if exc.code == "NoSuchKey":
                return None
            raise
        try:
            return resp.read()
        finally:
            resp.close()
            resp.release_conn()

    def presigned_url(self, key: str, file_name: str, seconds: int) -> str | None:
        return self.client.presigned_get_object(self.bucket, self._key(key), expires=timedelta(seconds=max(1, seconds)),
                                                response_headers={"response-content-disposition": f'attachment; filename="{file_name}"'})


def storage(settings: Settings) -> LocalStorage | S3Storage:
    url = settings.export_storage_url
    if url.startswith("s3://"):
        return S3Storage(settings, url)
    if url and not url.startswith("file://"):
        raise ValueError("PERMITWATCH_EXPORT_STORAGE_URL must be s3://bucket/prefix or file:///folder")
    return LocalStorage(Path(urlparse(url).path) if url else settings.data_dir / "exports")
