"""Sending the parent's notes to the address they give, then forgetting them (SMTP settings in `.env`).

The standard library's smtplib, run in a thread by the web service. The message is built in memory
with the email package's SMTP policy, which refuses a line break in any header; the address is
checked by email-validator and the subject has its whitespace (line breaks included) collapsed first,
so nothing the parent types can add a header or a recipient. Errors are reported by type only.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid

from email_validator import EmailNotValidError, validate_email

from bot.config import Settings
from bot.content.words import WordedError

SECURITY_CHOICES = ("starttls", "ssl", "none")
MAX_SUBJECT_CHARS = 120


class MailNotConfigured(RuntimeError):
    """No SMTP server is set (SMTP_HOST): the email option is switched off."""


class BadAddress(WordedError):
    """The address cannot be used; its words (why, for the parent) are in content/web.yml `notes_errors:`."""


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int = 587
    security: str = "starttls"  # starttls, ssl (implicit TLS, usually port 465) or none (a local relay)
    username: str = ""
    password: str = ""
    sender: str = ""
    timeout_seconds: float = 15.0

    @property
    def enabled(self) -> bool:
        return bool(self.host and self.sender)

    @classmethod
    def from_settings(cls, settings: Settings) -> MailSettings:
        security = settings.smtp_security
        return cls(
            host=settings.smtp_host.strip(),
            port=settings.smtp_port or (465 if security == "ssl" else 587),
            security=security,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value(),
            sender=settings.smtp_from.strip(),
            timeout_seconds=settings.smtp_timeout_seconds,
        )


def checked_address(raw: str) -> str:
    """The address in its normal form; BadAddress when it is not one address we can send to."""
    if any(ch in raw for ch in "\r\n,;<>") or len(raw) > 254:
        raise BadAddress("email_not_one")
    try:
        return validate_email(raw.strip(), check_deliverability=False, allow_smtputf8=False).normalized
    except EmailNotValidError:
        raise BadAddress("email_not_valid") from None


def one_line(subject: str, fallback: str) -> str:
    text = " ".join(subject.split())[:MAX_SUBJECT_CHARS]
    return text or " ".join(fallback.split())


def build_message(
    settings: MailSettings, to: str, subject: str, body: str, attachment: tuple[str, bytes] | None
) -> EmailMessage:
    message = EmailMessage(policy=SMTP)
    message["From"] = settings.sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    message.set_content(body)
    if attachment is not None:
        name, data = attachment
        message.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    return message


def send(settings: MailSettings, message: EmailMessage) -> None:
    """Hand the message to the SMTP server (blocking: run it in a thread). Raises smtplib/OSError on failure."""
    if not settings.enabled:
        raise MailNotConfigured("SMTP_HOST and SMTP_FROM are not set")
    context = ssl.create_default_context()
    if settings.security == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout_seconds, context=context)
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds)
    with client:
        if settings.security == "starttls":
            client.starttls(context=context)
        if settings.username:
            client.login(settings.username, settings.password)
        client.send_message(message, to_addrs=[str(message["To"])])
