"""THE settings object. Only this module reads the environment.

Values come from `PERMITWATCH_*` environment variables; the local stack writes its
connection details to `.local/stack.env`, read as a fallback so that the CLI works after
`scripts/run.sh` without exporting anything.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
LOCAL_DIR = REPO_ROOT / ".local"


class QAThresholds(BaseSettings):
    """QA gate thresholds; a warn threshold promotes and says so, a fail threshold blocks."""

    model_config = SettingsConfigDict(env_prefix="PERMITWATCH_QA_", extra="ignore")

    count_drop_warn: float = 0.10  # share of permits lost against the previous run of the same month
    count_drop_fail: float = 0.50
    null_spike_warn: float = 0.20  # rise of a field's null share against trailing runs
    null_spike_fail: float = 0.50
    drift_warn: float = 0.0  # share of records with unknown record ids / odd lines
    drift_fail: float = 0.05
    geometry_warn: float = 0.0  # share of located permits with repaired or rejected points
    geometry_fail: float = 0.20
    quarantine_fail: float = 0.10  # share of records quarantined
    county_tolerance_m: float = 2000.0  # a point this far outside its stated county is off
    trailing_runs: int = 7


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PERMITWATCH_", env_file=str(LOCAL_DIR / "stack.env"), extra="ignore"
    )

    # Application role: RLS applies to it (not superuser, not owner, no BYPASSRLS).
    database_url: str = "postgresql://permitwatch_app@127.0.0.1:55432/permitwatch"
    # Owner role: runs migrations and owns the schema.
    database_owner_url: str = "postgresql://permitwatch_owner@127.0.0.1:55432/permitwatch"
    # Alert evaluator and delivery workers: RLS policies grant this role the alerting
    # tables of every workspace, and nothing else.
    worker_database_url: str = "postgresql://permitwatch_worker@127.0.0.1:55432/permitwatch"
    redis_url: str = "redis://127.0.0.1:56379/0"
    # Ports of the local stack (scripts/run.sh); change them to run a second checkout.
    stack_pg_port: int = 55432
    stack_redis_port: int = 56379
    # Superuser of the local stack only: creates roles, databases and extensions.
    admin_database_url: str | None = None
    data_dir: Path = LOCAL_DIR / "data"
    # A mirror or path of the daily file, for `ingest file` with no argument; the RRC's
    # own shares are read by `sources poll` (below).
    rrc_daily_url: str | None = None
    # The RRC's GoDrive file shares (README, "Sources"): the site, and per source the
    # share id and the file names it takes. The local stack points the site at its own
    # GoDrive server.
    rrc_godrive_url: str = "https://mft.rrc.texas.gov"
    rrc_daily_share: str = "5f07cc72-2e79-4df8-ade1-9aeb792e03fc"
    rrc_daily_pattern: str = "daf420*"
    rrc_pending_share: str = "0ad92a65-4212-49a1-98a7-d667a55fb497"
    rrc_pending_pattern: str = "dp_*_pending*"
    godrive_timeout_seconds: float = 120.0
    godrive_attempts: int = 4
    godrive_backoff_seconds: float = 30.0  # doubled after each failed try
    stack_godrive_port: int = 56081  # the local stack's GoDrive server
    godrive_root: Path = LOCAL_DIR / "godrive"  # its shares, one folder per share id
    poll_interval_seconds: float = 600.0  # `sources watch`: how often the shares are listed
    # A snapshot published longer ago than this is history when ingested: recorded, never
    # notified (backfills and first loads are history whatever their age).
    history_after_hours: float = 36.0
    # A filing pending approval this many days without approval is reported as no longer
    # pending (the RRC's sets are submission windows: absence from one set says nothing).
    pending_expire_days: int = 45
    ingest_batch_size: int = 5000
    public_base_url: str = "http://127.0.0.1:8000"
    qa: QAThresholds = Field(default_factory=QAThresholds)

    # Alert delivery. Providers: sms = twilio | folder | none; email = sendgrid | smtp | none.
    sms_provider: str = "folder"
    sms_folder: Path = LOCAL_DIR / "sms"
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_from: str | None = None
    twilio_base_url: str | None = None  # only to point the SDK at another host (tests, staging)
    # Where Twilio posts delivery receipts (default: <public_base_url>/webhooks/twilio/status); ?outbox=N is appended.
    twilio_status_callback_url: str | None = None
    email_provider: str = "smtp"
    email_from: str = "alerts@permitwatch.local"
    sendgrid_api_key: str | None = None
    sendgrid_host: str | None = None
    # SendGrid > Mail Settings > Signed Event Webhook: the verification key (base64 DER), to check its ECDSA signatures.
    sendgrid_webhook_public_key: str | None = None
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 56025  # the local stack's mail catcher
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    delivery_max_attempts: int = 6
    delivery_lease_seconds: int = 120
    delivery_backoff_base_seconds: float = 30.0
    delivery_backoff_cap_seconds: float = 3600.0
    provider_timeout_seconds: float = 10.0

    # Web app. The secret signs CSRF tokens; the local stack generates one into stack.env.
    secret_key: str = Field(default="", repr=False)
    web_host: str = "127.0.0.1"
    web_port: int = 8000
    session_days: int = 14
    # Cookies marked Secure need HTTPS; the local stack serves plain http on loopback.
    cookie_secure: bool = False
    login_attempts_per_15min: int = 10  # per account from one client address (x10 per client address slows, never locks)
    db_pool_size: int = 10
    tile_cache_seconds: int = 3600
    # Late: a publication day (RRC's calendar: business days, Texas state closures) passed
    # its usual hour (about 10:00 Central) plus this many hours without a newer file.
    stale_grace_hours: float = 6.0
    # Base map. County outlines always come from this server. A raster layer goes under
    # them when set (OpenStreetMap by default; "" for none, as in tests with no network).
    # A Mapbox (or any MapLibre) style URL replaces both; a Mapbox one needs the token.
    basemap_raster_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    basemap_attribution: str = "© OpenStreetMap contributors"
    map_style_url: str | None = None
    mapbox_token: str | None = None

    # --- exports ---
    # Where export files live: "" for a folder under data_dir, or an S3-compatible bucket
    # ("s3://bucket/prefix", with the endpoint and keys below or the AWS defaults).
    export_storage_url: str = ""
    s3_endpoint_url: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = Field(default=None, repr=False)
    s3_region: str = "us-east-1"
    export_link_hours: int = 72  # how long a download link, and the file behind it, live
    export_stale_seconds: int = 300  # a running export whose heartbeat is older lost its worker: retried
    export_max_attempts: int = 3
    report_link_days: int = 30  # an AOI Activity Report's shareable link (and its files) live this long

    # --- the Pro API (its monthly calls come with the plan; a WorkspaceQuota overrides both) ---
    api_rate_per_minute: int = 60  # per key, sliding minute; the burst is a sixth of it per second
    # Outbound webhooks: networks opened for receivers that would otherwise be refused as
    # internal (comma-separated CIDRs; tests, an on-premises hub), a CA file to trust beyond
    # the system's, and how long a receiver has to answer.
    webhook_allow_networks: str = ""
    webhook_ca_file: str | None = None
    webhook_timeout_seconds: float = 10.0
    webhook_endpoints_per_workspace: int = 10

    # --- billing (Stripe). The local stack points the SDK at its own Stripe stand-in. ---
    stripe_secret_key: str | None = Field(default=None, repr=False)
    stripe_api_base: str | None = None  # only to point the SDK at another host (the stand-in, tests)
    stripe_webhook_secret: str | None = Field(default=None, repr=False)  # whsec_...: checks Stripe-Signature
    stripe_timeout_seconds: float = 10.0
    stack_stripe_port: int = 56082  # the local stack's Stripe stand-in

    # --- metrics and the Kubernetes operator ---
    # Port of the Prometheus /metrics listener of processes that serve no HTTP of their
    # own (workers, the operator); 0 turns it off. The web app serves /metrics itself.
    metrics_port: int = 0
    # Platform gauges read from the database at scrape time (ingestion freshness, outbox
    # depth, dead letters); one process per deployment exports them (the chart picks the
    # evaluate worker pool), so a scrape costs a few index reads, not one per replica.
    metrics_platform: bool = False
    k8s_image: str = "permitwatch:dev"  # image of the pods the operator creates
    k8s_image_pull_policy: str = "IfNotPresent"
    k8s_env_secret: str = "permitwatch-env"  # Secret with PERMITWATCH_* URLs and provider keys
    k8s_env_configmap: str = "permitwatch-config"  # ConfigMap with the rest of the settings
    k8s_service_account: str = "permitwatch-jobs"  # service account of ingestion and backfill pods
    operator_resync_seconds: float = 60.0  # drift correction, status and usage refresh


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
