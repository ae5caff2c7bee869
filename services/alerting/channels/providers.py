"""SMS and email providers through their official SDKs (Twilio, SendGrid) and plain SMTP,
plus a folder sink for SMS on the local stack. Base URLs are configurable so the SDKs can be
pointed at local servers that speak the providers' APIs (tests, staging)."""

from __future__ import annotations

import base64
import smtplib
import ssl
import urllib.parse
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from services.alerting.channels import Message, Permanent, Retryable
from services.alerting.messages import safe_header

RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


def _by_status(status: int | None, detail: str) -> Exception:
    return Retryable(detail) if status is None or status in RETRY_STATUS else Permanent(detail)


class TwilioSMS:
    def __init__(self, account_sid: str, auth_token: str, from_number: str, *, base_url: str | None = None, timeout: float = 10,
                 status_callback: str | None = None):
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        class _Rebased(TwilioHttpClient):
            """Twilio's documented custom-client hook: same paths, another host."""

            def request(self, method, url, **kw):
                if base_url:
                    p = urllib.parse.urlsplit(url)
                    url = base_url.rstrip("/") + p.path + (f"?{p.query}" if p.query else "")
                return super().request(method, url, **kw)

        # A non-empty environment keeps TWILIO_* variables of the host out of it.
        self.client = Client(account_sid, auth_token, http_client=_Rebased(timeout=timeout), environment={"PERMITWATCH": "1"})
        self.from_number = from_number
        self.status_callback = status_callback

    def send(self, m: Message) -> str:
        import requests
        from twilio.base.exceptions import TwilioRestException

        try:
            # receipts are kept for alerts (outbox rows), not for account texts such as codes
            extra = {"status_callback": f"{self.status_callback}?outbox={m.outbox_id}"} if self.status_callback and not m.ref else {}
            msg = self.client.messages.create(to=m.to, from_=self.from_number, body=m.payload["text"], **extra)
        except TwilioRestException as exc:
            raise _by_status(exc.status, f"twilio {exc.status} {exc.code}: {exc.msg}") from exc
        except requests.RequestException as exc:
            raise Retryable(f"twilio: {type(exc).__name__}: {exc}") from exc
        return msg.sid


class SendGridEmail:
    def __init__(self, api_key: str, from_email: str, *, host: str | None = None, timeout: float = 10):
        from sendgrid import SendGridAPIClient

        self.client = SendGridAPIClient(api_key, **({"host": host.rstrip("/")} if host else {}))
        self.client.client.timeout = timeout
        self.from_email = from_email

    def send(self, m: Message) -> str:
        import urllib.error

        from python_http_client.exceptions import HTTPError
        from sendgrid.helpers.mail import Attachment, CustomArg, Disposition, FileContent, FileName, FileType, Mail

        mail = Mail(from_email=self.from_email, to_emails=m.to, subject=safe_header(m.payload["subject"]),
                    plain_text_content=m.payload["text"], html_content=m.payload["html"])
        mail.custom_arg = CustomArg("outbox_id", m.idempotency_key)
        for name, media_type, content in m.attachments:
            mail.add_attachment(Attachment(FileContent(base64.b64encode(content).decode()), FileName(name), FileType(media_type),
                                           Disposition("attachment")))
        try:
            resp = self.client.send(mail)
        except HTTPError as exc:
            raise _by_status(exc.status_code, f"sendgrid {exc.status_code}: {exc.body!r}"[:500]) from exc
        except (TimeoutError, urllib.error.URLError, ConnectionError) as exc:
            raise Retryable(f"sendgrid: {type(exc).__name__}: {exc}") from exc
        return resp.headers.get("X-Message-Id") or m.idempotency_key


class SMTPEmail:
    def __init__(self, host: str, port: int, from_email: str, *, username: str | None = None, password: str | None = None,
                 starttls: bool = False, timeout: float = 10):
        self.host, self.port, self.from_email = host, port, from_email
        self.username, self.password, self.starttls, self.timeout = username, password, starttls, timeout

    def send(self, m: Message) -> str:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = self.from_email, m.to, safe_header(m.payload["subject"])
        msg_id = make_msgid(idstring=m.idempotency_key, domain="permitwatch")
        msg["Message-ID"] = msg_id
        msg.set_content(m.payload["text"])
        msg.add_alternative(m.payload["html"], subtype="html")
        for name, media_type, content in m.attachments:
            main, _, sub = media_type.partition("/")
            msg.add_attachment(content, maintype=main, subtype=sub, filename=name)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(msg)
        except smtplib.SMTPResponseException as exc:
            raise (Retryable if 400 <= exc.smtp_code < 500 else Permanent)(f"smtp {exc.smtp_code}: {exc.smtp_error!r}") from exc
        except smtplib.SMTPRecipientsRefused as exc:
            raise Permanent(f"smtp refused recipients: {exc.recipients}") from exc
        except (TimeoutError, OSError, smtplib.SMTPException) as exc:
            raise Retryable(f"smtp: {type(exc).__name__}: {exc}") from exc
        return msg_id


class FolderSMS:
    """Local stack only: each SMS becomes a text file the developer can read."""

    def __init__(self, folder: Path):
        self.folder = folder

    def send(self, m: Message) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{m.idempotency_key}.txt"
        path.write_text(f"To: {m.to}\n\n{m.payload['text']}\n")
        return path.name
