"""Settings read once from the environment (a leaf: imports nothing from agenda_core).

The numbers of RELIABILITY.md live here so that code and tests read the same values.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache


def _csv(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


@dataclass(frozen=True)
class Settings:
    table_name: str
    idempotency_table_name: str
    signing_key_secret_arn: str
    cors_allow_origins: tuple[str, ...] = ()
    public_base_url: str = ""
    # Public snapshots (services/snapshots.py): the bucket, and the base URL their `url` fields
    # are built on (PUBLIC_BASE_URL when set, else the stack's API URL, SNAPSHOT_BASE_URL).
    snapshot_bucket: str = ""
    snapshot_base_url: str = ""
    # The webhook delivery queue (integrations/webhook_queue.py).
    webhook_queue_url: str = ""
    # Uploads (API.md §6): the private bucket files are posted to (integrations/upload_storage.py).
    upload_bucket: str = ""
    enable_xray_sdk: bool = False
    service_name: str = "agenda-api"

    # Limits (RELIABILITY.md "Parameters").
    max_body_bytes: int = 64 * 1024
    page_size_default: int = 20
    page_size_max: int = 100
    password_min_length: int = 12
    password_max_length: int = 256
    access_token_ttl_seconds: int = 15 * 60
    token_leeway_seconds: int = 60
    token_issuer: str = "agenda-api"
    token_audience: str = "agenda-api"
    # Signing keys below this many bytes are refused (RFC 7518 §3.2: HS256 needs >= 256 bits).
    signing_key_min_bytes: int = 32
    # Refresh tokens (RFC 9700 §4.14): rotated on every use, 30-day absolute and 7-day idle
    # expiry per session (family), and a short grace in which a parallel refresh of the same
    # token (a mobile app with two requests in flight) gets the same successor.
    refresh_absolute_seconds: int = 30 * 24 * 60 * 60
    refresh_idle_seconds: int = 7 * 24 * 60 * 60
    refresh_grace_seconds: int = 30
    # Guessing (OWASP Authentication cheat sheet): failed logins per normalised email (existing
    # or not) and per source IP, and sign-ups per source IP, in fixed windows.
    login_failures_per_email: int = 5
    login_failures_per_ip: int = 20
    login_window_seconds: int = 15 * 60
    signups_per_ip: int = 10
    signup_window_seconds: int = 60 * 60
    idempotency_ttl_seconds: int = 24 * 60 * 60
    slug_max_length: int = 64
    # AWS SDK behaviour: standard retries, 3 attempts in all (STYLE.md 5.11), short timeouts.
    aws_total_max_attempts: int = 3
    aws_connect_timeout_seconds: float = 1.0
    aws_read_timeout_seconds: float = 3.0
    retry_after_seconds: int = 1
    # A member map on the agenda item keeps permission checks on one item; cap it so it stays small.
    max_members_per_agenda: int = 100
    # Content per agenda (API.md §4): keeps the full-agenda read one bounded Query and its answer
    # well under Lambda's 6 MB response limit for realistic agendas (bench/RESULTS.md).
    max_sessions_per_agenda: int = 1000
    max_speakers_per_agenda: int = 1000
    max_tracks_per_agenda: int = 100
    max_venues_per_agenda: int = 100
    max_categories_per_agenda: int = 100
    # How long the change log keeps a committed change (API.md §5: at least 30 days); a change
    # cursor older than that answers 410 once a change after it may be gone (services/changes.py).
    change_retention_days: int = 35
    # A change-feed page is one BatchGetItem of the agenda item and the pages' change records,
    # whose limit is 100 keys: one goes to the agenda item.
    changes_page_max: int = 99
    # API tokens (API.md §2, services/api_tokens.py): a soft cap per user, the longest expiry, how
    # stale last_used_at may get before a use writes it again, and how long a warm container
    # trusts a token it verified (a deletion takes up to that long to reach other containers).
    api_tokens_per_user_max: int = 100
    api_token_max_lifetime_days: int = 365
    api_token_last_used_interval_seconds: int = 300
    api_token_cache_seconds: float = 60.0
    # Webhooks (API.md §7, RELIABILITY.md): endpoints per agenda; how long a rotated-out secret
    # still signs; whether loopback receivers may be used (`make dev --allow-loopback-webhooks`
    # only: the template never sets ALLOW_LOOPBACK_WEBHOOKS).
    webhooks_per_agenda: int = 10
    webhook_secret_overlap_seconds: int = 24 * 60 * 60
    allow_loopback_webhooks: bool = False


@cache
def get_settings() -> Settings:
    """The process-wide settings (cached; tests call ``get_settings.cache_clear()``)."""
    env = os.environ
    return Settings(
        table_name=env.get("TABLE_NAME", "AgendaTable"),
        idempotency_table_name=env.get("IDEMPOTENCY_TABLE_NAME", "IdempotencyTable"),
        signing_key_secret_arn=env.get("SIGNING_KEY_SECRET_ARN", ""),
        cors_allow_origins=_csv(env.get("CORS_ALLOW_ORIGINS", "")),
        public_base_url=env.get("PUBLIC_BASE_URL", "").rstrip("/"),
        snapshot_bucket=env.get("SNAPSHOT_BUCKET", ""),
        webhook_queue_url=env.get("WEBHOOK_QUEUE_URL", ""),
        upload_bucket=env.get("UPLOAD_BUCKET", ""),
        snapshot_base_url=(env.get("PUBLIC_BASE_URL") or env.get("SNAPSHOT_BASE_URL") or "").rstrip("/"),
        enable_xray_sdk=env.get("ENABLE_XRAY_SDK", "false").lower() == "true",
        service_name=env.get("POWERTOOLS_SERVICE_NAME", "agenda-api"),
        # Tunable per stage without a release; the defaults are RELIABILITY.md's.
        login_failures_per_email=int(env.get("LOGIN_FAILURES_PER_EMAIL", "5")),
        login_failures_per_ip=int(env.get("LOGIN_FAILURES_PER_IP", "20")),
        signups_per_ip=int(env.get("SIGNUPS_PER_IP", "10")),
        api_token_cache_seconds=min(60.0, float(env.get("API_TOKEN_CACHE_SECONDS", "60"))),
        allow_loopback_webhooks=env.get("ALLOW_LOOPBACK_WEBHOOKS", "false").lower() == "true",
    )
