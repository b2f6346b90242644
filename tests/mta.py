"""An MTA on loopback wired to the forum as the README wires Postfix: it asks the
forum's recipient map (Postfix's tcp_table protocol, as `check_recipient_access
tcp:127.0.0.1:PORT` does) about each RCPT TO, refuses what the map refuses, and relays
every accepted message to the forum's LMTP listener, one transaction for all its
recipients."""

import smtplib
import socket
from urllib.parse import quote, unquote

from aiosmtpd.controller import Controller


def ask_map(port: int, key: str) -> str:
    """One tcp_table look-up: `get KEY` and its one-line answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(b"get " + quote(key, safe="@+").encode() + b"\n")
        return connection.makefile("rb").readline().decode().strip()


class RelayingMta:
    """aiosmtpd handler: the recipient check at RCPT, then LMTP to the forum."""

    def __init__(self, *, lmtp_port: int, map_port: int) -> None:
        self.lmtp_port = lmtp_port
        self.map_port = map_port
        # (recipient, the forum's LMTP answer) for every message relayed.
        self.delivered: list[tuple[str, int]] = []

    async def handle_RCPT(self, server, session, envelope, address: str, rcpt_options) -> str:
        answer = ask_map(self.map_port, address)
        code, _space, value = answer.partition(" ")
        if code == "400":
            return "451 4.3.0 Recipient check failed, try again later"
        action = unquote(value) if code == "200" else "DUNNO"
        if action[:1] in {"4", "5"}:
            return action
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        with smtplib.LMTP("127.0.0.1", self.lmtp_port) as lmtp:
            lmtp.ehlo_or_helo_if_needed()
            lmtp.mail(envelope.mail_from)
            for address in envelope.rcpt_tos:
                lmtp.rcpt(address)
            replies = [lmtp.data(envelope.original_content)]
            replies += [lmtp.getreply() for _address in envelope.rcpt_tos[1:]]
        for address, (code, _text) in zip(envelope.rcpt_tos, replies, strict=True):
            self.delivered.append((address, code))
        return "250 2.0.0 Queued"


class LoopbackMta:
    """The relaying MTA listening on a free loopback port."""

    def __init__(self, *, lmtp_port: int, map_port: int) -> None:
        self.handler = RelayingMta(lmtp_port=lmtp_port, map_port=map_port)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> "LoopbackMta":
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
