"""A real SMTP server for the tests and bench/mail.py: aiosmtpd on 127.0.0.1, on a free port.

It keeps every message it accepts (`messages`, parsed, with the envelope's recipients), refuses
recipients whose address starts with "refused" (550), and answers 451 (try later) to the first
`flaky` attempts at a recipient whose address starts with "flaky". `smtputf8` says whether it offers
SMTPUTF8. `rcpt_attempts` counts every RCPT per address.
"""

from __future__ import annotations

import socket
import threading
from collections import Counter
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.server.lock:
            self.server.rcpt_attempts[address] += 1
            attempts = self.server.rcpt_attempts[address]
        if address.startswith("refused"):
            return "550 5.1.1 no such user here"
        if address.startswith("flaky") and attempts <= self.server.flaky:
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if not self.server.keep:
            with self.server.lock:
                self.server.count += 1
            return "250 Message accepted"
        message = BytesParser(policy=policy.SMTPUTF8).parsebytes(envelope.original_content or envelope.content)
        with self.server.lock:
            self.server.messages.append((list(envelope.rcpt_tos), message))
            self.server.received.set()
        return "250 Message accepted"


class SmtpServer:
    def __init__(self, *, smtputf8: bool = True, flaky: int = 2, keep: bool = True) -> None:
        self.port = free_port()
        self.keep = keep  # False: only count the messages (bench/mail.py)
        self.count = 0
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.rcpt_attempts: Counter[str] = Counter()
        self.flaky = flaky
        self.lock = threading.Lock()
        self.received = threading.Event()
        self.controller = Controller(
            _Handler(self), hostname="127.0.0.1", port=self.port, enable_SMTPUTF8=smtputf8, decode_data=False
        )

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for rcpts, m in self.messages if address in rcpts]

    def environment(self) -> dict[str, str]:
        """The settings that send to this server (no TLS, no sign-in, no rate limit)."""
        return {
            "ICSAT_SMTP_HOST": "127.0.0.1",
            "ICSAT_SMTP_PORT": str(self.port),
            "ICSAT_SMTP_SECURITY": "none",
            "ICSAT_SMTP_TIMEOUT": "5",
            "ICSAT_MAIL_FROM": "ICSAT <icsat@example.com>",
            "ICSAT_MAIL_REPLY_TO": "hr-survey@example.com",
            "ICSAT_MAIL_RATE": "0",
        }
