"""Outgoing mail: through SMTP when ``SMTP_HOST`` is set, otherwise written as ``.eml`` files to
``var/mail/`` (the README names it) so a developer can read what would have been sent."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
import uuid
from email.message import EmailMessage
from email.utils import format_datetime

from marketplace.core import clock
from marketplace.settings import get_settings


def _build(to: str, subject: str, body: str) -> EmailMessage:
    settings = get_settings()
    message = EmailMessage()
    message["From"] = settings.mail.sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(clock.now())
    message["Message-ID"] = f"<{uuid.uuid4()}@marketplace>"
    message.set_content(body)
    return message


def _deliver(message: EmailMessage) -> None:
    mail = get_settings().mail
    if mail.smtp_host:
        with smtplib.SMTP(mail.smtp_host, mail.smtp_port, timeout=15) as smtp:
            if mail.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if mail.smtp_user:
                smtp.login(mail.smtp_user, mail.smtp_password)
            smtp.send_message(message)
        return
    mail.outbox_dir.mkdir(parents=True, exist_ok=True)
    stamp = clock.now().strftime("%Y%m%dT%H%M%S%f")
    (mail.outbox_dir / f"{stamp}-{uuid.uuid4().hex[:8]}.eml").write_bytes(bytes(message))


async def send_mail(to: str, subject: str, body: str) -> None:
    """Send one plain-text mail, off the event loop. Delivery errors propagate to the caller."""
    await asyncio.to_thread(_deliver, _build(to, subject, body))
