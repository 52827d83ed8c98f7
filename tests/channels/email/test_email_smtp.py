"""SmtpSender against a real aiosmtpd on 127.0.0.1; Log/Recording senders."""

from __future__ import annotations

import dataclasses
import logging
from email import message_from_bytes, policy
from typing import TYPE_CHECKING

import pytest

from channels.email import LogMailSender, MailSender, SmtpSender, parse
from channels.errors import PermanentDeliveryError, TemporaryDeliveryError
from channels.message import Channel, OutboundMessage
from tests.dovecot import free_port

if TYPE_CHECKING:
    from tests.channels.email.conftest import SmtpServer

MESSAGE = OutboundMessage(
    channel=Channel.EMAIL,
    to_address="matti@example.fi",
    from_address="applicants@desk.test",
    from_name="Hakijapalvelu",
    subject="Vastaanottokuittaus [#2026-000042]",
    text="Kiitos viestistäsi.",
    message_id="20260302.ack42@desk.test",
    is_automatic=True,
)


def test_send_delivers_the_composed_mail(smtp: SmtpServer) -> None:
    receipt = SmtpSender(smtp.host, smtp.port).send(MESSAGE)
    assert receipt.provider_id == "20260302.ack42@desk.test"
    (envelope,) = smtp.handler.received
    assert envelope.mail_from == "applicants@desk.test"
    assert envelope.rcpt_tos == ["matti@example.fi"]
    assert isinstance(envelope.content, bytes)
    received = message_from_bytes(envelope.content, policy=policy.default)
    assert received["Message-ID"] == "<20260302.ack42@desk.test>"
    assert received["Auto-Submitted"] == "auto-replied"
    assert received["Subject"] == "Vastaanottokuittaus [#2026-000042]"
    assert parse(envelope.content).text == "Kiitos viestistäsi."


def test_send_without_message_id_reports_the_generated_one(smtp: SmtpServer) -> None:
    receipt = SmtpSender(smtp.host, smtp.port).send(dataclasses.replace(MESSAGE, message_id=None))
    assert receipt.provider_id is not None and receipt.provider_id.endswith("@desk.test")
    (envelope,) = smtp.handler.received
    assert isinstance(envelope.content, bytes)
    assert parse(envelope.content).external_id == receipt.provider_id


def test_4xx_recipient_answer_is_temporary(smtp: SmtpServer) -> None:
    with pytest.raises(TemporaryDeliveryError) as caught:
        SmtpSender(smtp.host, smtp.port).send(
            dataclasses.replace(MESSAGE, to_address="greylist@example.fi")
        )
    assert caught.value.code == "450"


def test_5xx_recipient_refusal_is_permanent(smtp: SmtpServer) -> None:
    with pytest.raises(PermanentDeliveryError) as caught:
        SmtpSender(smtp.host, smtp.port).send(
            dataclasses.replace(MESSAGE, to_address="nobody@example.fi")
        )
    assert caught.value.code == "550"


@pytest.mark.parametrize(
    ("code", "error"), [("451", TemporaryDeliveryError), ("554", PermanentDeliveryError)]
)
def test_data_answer_is_mapped_by_code(smtp: SmtpServer, code: str, error: type[Exception]) -> None:
    # the test server reads its answer from the body (see conftest.RecordingHandler)
    message = dataclasses.replace(MESSAGE, text=f"X-Test-Data-Reply: {code}")
    with pytest.raises(error) as caught:
        SmtpSender(smtp.host, smtp.port).send(message)
    assert getattr(caught.value, "code", None) == code
    assert smtp.handler.received == []


def test_connection_refused_is_temporary() -> None:
    with pytest.raises(TemporaryDeliveryError):
        SmtpSender("127.0.0.1", free_port(), timeout=2.0).send(MESSAGE)


def test_starttls_against_a_server_without_it_is_temporary(smtp: SmtpServer) -> None:
    with pytest.raises(TemporaryDeliveryError):
        SmtpSender(smtp.host, smtp.port, starttls=True).send(MESSAGE)


def test_invalid_address_is_permanent_and_nothing_is_sent(smtp: SmtpServer) -> None:
    bad = dataclasses.replace(MESSAGE, to_address="matti@example.fi\r\nRCPT TO:<x@y>")
    with pytest.raises(PermanentDeliveryError):
        SmtpSender(smtp.host, smtp.port).send(bad)
    assert smtp.handler.received == []


def test_log_sender_logs_ids_not_bodies_at_info(caplog: pytest.LogCaptureFixture) -> None:
    sender: MailSender = LogMailSender(logging.getLogger("test.mail"))
    with caplog.at_level(logging.INFO, logger="test.mail"):
        receipt = sender.send(MESSAGE)
    assert receipt.provider_id == "20260302.ack42@desk.test"
    assert receipt.status == "logged"
    assert "20260302.ack42@desk.test" in caplog.text
    assert "Kiitos" not in caplog.text
