"""PURE: WorkspaceQuota -> the workspace_quotas row the API and workers enforce, and the
usage figures its status shows."""

from __future__ import annotations

from controllers.specs import QuotaSpec
from controllers.status import usage_text


def managed_by(namespace: str, name: str) -> str:
    return f"k8s:{namespace}/{name}"


def quota_row(spec: QuotaSpec) -> dict[str, int | None]:
    return {"sms_per_day": spec.sms_per_day, "email_per_day": spec.email_per_day, "sms_per_month": spec.sms_per_month,
            "email_per_month": spec.email_per_month, "api_calls_per_month": spec.api_calls_per_month,
            "api_rate_per_minute": spec.api_rate_per_minute, "exports_per_day": spec.export_jobs_per_day}


def usage_status(spec: QuotaSpec, used: dict[str, int]) -> dict:
    return {"usage": {"sms": usage_text(used["sms_month"], spec.sms_per_month),
                      "email": usage_text(used["email_month"], spec.email_per_month),
                      "apiCalls": usage_text(used["api_calls_month"], spec.api_calls_per_month),
                      "exportJobs": usage_text(used["export_jobs_today"], spec.export_jobs_per_day),
                      "smsToday": usage_text(used["sms_today"], spec.sms_per_day),
                      "emailToday": usage_text(used["email_today"], spec.email_per_day)},
            "used": {"smsThisMonth": used["sms_month"], "emailThisMonth": used["email_month"], "apiCallsThisMonth": used["api_calls_month"],
                     "exportJobsToday": used["export_jobs_today"], "smsToday": used["sms_today"], "emailToday": used["email_today"]}}
