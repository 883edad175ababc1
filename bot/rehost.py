"""Rehost a photo in S3 (or any S3-compatible store) behind a presigned GET URL.

Objects are private, keys unguessable, server-side encryption requested unless disabled.
URLs are signed with SigV4 and an explicit region: region-less URLs can redirect and then
fail their signature, and SigV2 is what boto3 falls back to otherwise.
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

log = logging.getLogger(__name__)

KEY_PREFIX = "replica-bot/"


class RehostError(Exception):
    """The photo could not be stored or signed; the text is safe to show."""


def redact_url(url: str) -> str:
    """A presigned URL is a bearer credential: log only where it points."""
    return url.split("?", 1)[0] + ("?<signature redacted>" if "?" in url else "")


class PhotoRehost:
    def __init__(
        self,
        bucket: str,
        *,
        region: str,
        endpoint_url: str | None = None,
        sse: str | None = "AES256",
        client: Any = None,
    ):
        self.bucket = bucket
        self.sse = sse
        self._session = boto3.session.Session(region_name=region)
        self._s3 = client or self._session.client(
            "s3",
            region_name=region,
            endpoint_url=endpoint_url,
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "path" if endpoint_url else "auto"},
                retries={"max_attempts": 6, "mode": "standard"},
                connect_timeout=5,
                read_timeout=30,
            ),
        )

    def credential_warning(self, ttl_seconds: int) -> str | None:
        """Say so when credentials would expire before a presigned URL does."""
        creds = self._session.get_credentials()
        if creds is None:
            return "no AWS credentials were found (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
        frozen = creds.get_frozen_credentials()
        expiry = getattr(creds, "_expiry_time", None)
        if expiry is not None and expiry < datetime.now(UTC) + timedelta(seconds=ttl_seconds):
            return (
                "the AWS credentials expire before PRESIGN_TTL_SECONDS: presigned URLs die with "
                "them. Use long-lived credentials for presigning."
            )
        if frozen.token:
            return (
                "the AWS credentials carry a session token (temporary credentials): presigned "
                "URLs die when they do, often within hours. Use long-lived credentials."
            )
        return None

    @staticmethod
    def new_key(submission_id: str, team_id: str) -> str:
        """replica-bot/<team>/<submission>/<random>.jpg: a workspace's objects share a prefix."""
        return f"{KEY_PREFIX}{team_id}/{submission_id}/{secrets.token_urlsafe(24)}.jpg"

    def upload(self, key: str, data: bytes) -> None:
        extra: dict[str, Any] = {"ContentType": "image/jpeg"}
        if self.sse:
            extra["ServerSideEncryption"] = self.sse
        try:
            self._s3.put_object(Bucket=self.bucket, Key=key, Body=data, **extra)
        except (BotoCoreError, ClientError) as exc:
            raise RehostError(f"storing the photo failed ({type(exc).__name__})") from exc

    def presign(self, key: str, ttl_seconds: int) -> str:
        try:
            url: str = self._s3.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=ttl_seconds
            )
        except (BotoCoreError, ClientError) as exc:
            raise RehostError(f"signing the photo URL failed ({type(exc).__name__})") from exc
        return url

    def list_older_than(self, prefix: str, age_seconds: int) -> list[str]:
        cutoff = datetime.now(UTC) - timedelta(seconds=age_seconds)
        keys: list[str] = []
        try:
            pages = self._s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
            for page in pages:
                keys += [o["Key"] for o in page.get("Contents") or [] if o["LastModified"] < cutoff]
        except (BotoCoreError, ClientError) as exc:
            raise RehostError(f"listing stored photos failed ({type(exc).__name__})") from exc
        return keys

    def delete(self, key: str) -> None:
        try:
            self._s3.delete_object(Bucket=self.bucket, Key=key)
        except (BotoCoreError, ClientError) as exc:
            raise RehostError(f"deleting the photo failed ({type(exc).__name__})") from exc
