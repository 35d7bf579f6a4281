"""File uploads and the blob store behind them."""

from __future__ import annotations

from parley.adapters.storage.local import LocalBlobStore
from parley.adapters.storage.pdf_text import PypdfTextExtractor
from parley.application.files.files import DeleteFile, DownloadFile, GetFile, ListFiles
from parley.application.files.upload import StorageLimits, UploadFile
from parley.application.ports.files import BlobStore
from parley.application.services import FileServices
from parley.container.infrastructure import Infrastructure
from parley.domain.users import Tier
from parley.settings import Settings


def file_services(infra: Infrastructure, blobs: BlobStore) -> FileServices:
    uow_factory = infra.uow_factory
    limits = storage_limits(infra.settings)
    return FileServices(
        upload=UploadFile(uow_factory, blobs, PypdfTextExtractor(), limits, infra.clock),
        list=ListFiles(uow_factory),
        get=GetFile(uow_factory),
        download=DownloadFile(uow_factory, blobs),
        delete=DeleteFile(uow_factory, blobs),
    )


def storage_limits(settings: Settings) -> StorageLimits:
    return StorageLimits(
        max_file_bytes=settings.max_upload_bytes,
        quota_bytes={
            Tier.FREE: settings.storage_quota_free_bytes,
            Tier.PRO: settings.storage_quota_pro_bytes,
            Tier.ENTERPRISE: settings.storage_quota_enterprise_bytes,
        },
    )


def build_blob_store(settings: Settings) -> BlobStore:
    """A directory under the data dir, or S3 (boto3 is imported only then: it is the `s3`
    extra). Raises `ValueError` for S3 without a bucket."""
    if settings.storage == "s3":
        if not settings.s3_bucket:
            raise ValueError("PARLEY_STORAGE=s3 needs PARLEY_S3_BUCKET.")
        from parley.adapters.storage.s3 import S3BlobStore

        return S3BlobStore(
            settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            prefix=settings.s3_prefix,
        )
    return LocalBlobStore(settings.data_dir / "files")
