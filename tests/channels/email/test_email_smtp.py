"""SmtpSender against a real aiosmtpd on 127.0.0.1; Log/Recording senders."""

from __future__ import annotations

import dataclasses
import logging
from email import message_from_bytes, policy
from typing import TYPE_CHECKING

import pytest
from aiosmtpd.controller import Controller

from channels.email import LogMailSender, MailSender, SmtpSender, parse
from channels.errors import PermanentDeliveryError, TemporaryDeliveryError
from channels.message import Channel, OutboundMessage
from tests.ports import free_port
from tests.smtp_server import RecordingHandler

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


def to(address: str) -> OutboundMessage:
    return dataclasses.replace(MESSAGE, to_address=address, message_id=None)


def test_several_mails_share_one_session_and_each_alone_has_its_own(smtp: SmtpServer) -> None:
    sender = SmtpSender(smtp.host, smtp.port)
    with sender.several():
        for n in range(3):
            sender.send(to(f"shared{n}@example.fi"))
    sender.send(to("alone1@example.fi"))
    sender.send(to("alone2@example.fi"))
    assert [e.rcpt_tos for e in smtp.handler.received] == [
        ["shared0@example.fi"],
        ["shared1@example.fi"],
        ["shared2@example.fi"],
        ["alone1@example.fi"],
        ["alone2@example.fi"],
    ]
    peers = smtp.handler.peers
    assert len(set(peers[:3])) == 1
    assert len(set(peers)) == 3


def test_a_refusal_in_a_shared_session_does_not_keep_the_next_mail_back(
    smtp: SmtpServer,
) -> None:
    sender = SmtpSender(smtp.host, smtp.port)
    with sender.several():
        sender.send(to("first@example.fi"))
        with pytest.raises(PermanentDeliveryError):
            sender.send(to("nobody@example.fi"))
        with pytest.raises(TemporaryDeliveryError):
            sender.send(dataclasses.replace(to("x@example.fi"), text="X-Test-Data-Reply: 451"))
        sender.send(to("after@example.fi"))
    assert [e.rcpt_tos for e in smtp.handler.received] == [
        ["first@example.fi"],
        ["after@example.fi"],
    ]


def test_a_shared_session_the_server_closed_is_opened_again() -> None:
    handler = RecordingHandler()
    port = free_port()
    sender = SmtpSender("127.0.0.1", port)
    first = Controller(handler, hostname="127.0.0.1", port=port)
    first.start()
    try:
        with sender.several():
            sender.send(to("before@example.fi"))
            first.stop()  # the server goes away, and its sessions with it
            second = Controller(handler, hostname="127.0.0.1", port=port)
            second.start()
            try:
                sender.send(to("after@example.fi"))
            finally:
                second.stop()
    finally:
        if first.loop.is_running():
            first.stop()
    assert [e.rcpt_tos for e in handler.received] == [
        ["before@example.fi"],
        ["after@example.fi"],
    ]


def test_log_sender_logs_ids_not_bodies_at_info(caplog: pytest.LogCaptureFixture) -> None:
    sender: MailSender = LogMailSender(logging.getLogger("test.mail"))
    with caplog.at_level(logging.INFO, logger="test.mail"):
        receipt = sender.send(MESSAGE)
    assert receipt.provider_id == "20260302.ack42@desk.test"
    assert receipt.status == "logged"
    assert "20260302.ack42@desk.test" in caplog.text
    assert "Kiitos" not in caplog.text
