"""Answering the MTA's question "is this address yours?" while it talks to the sender,
so that mail to an address the forum does not have is refused at RCPT time, and never
accepted and bounced later (backscatter to forged senders).

`flask mail check-recipient ADDRESS` answers by its exit status. `flask mail
recipient-map` serves Postfix's tcp_table protocol (tcp_table(5)) on loopback, for
`check_recipient_access tcp:127.0.0.1:8025`: a request `get KEY` is answered `200 DUNNO`
for an address of the forum's (no objection: Postfix goes on with its other checks),
`200 550 5.1.1 …` for an unknown address of the forum's domain (refused with that
reply), `500 …` (not found) for any other key (other domains, a bare domain, `user@`),
and `400 …` (try again later) when the database cannot answer. Keys and values are
URL-encoded (`%XX`).
"""

import re
import socketserver
import threading
from urllib.parse import unquote

from flask import Flask

from forum.extensions import db
from forum.inbound.lmtp import run_until_signalled
from forum.inbound.routing import route
from forum.mail import addresses

UNKNOWN = "550 5.1.1 No such recipient here"
# What tcp_table encodes: anything but printable ASCII, and the percent sign itself.
_ENCODED = re.compile(r"[^\x21-\x24\x26-\x7e]")


def is_known(address: str) -> bool:
    return route(address) is not None


def _encode(value: str) -> str:
    return _ENCODED.sub(lambda found: "".join(f"%{b:02X}" for b in found[0].encode()), value)


def lookup(key: str) -> str:
    """The tcp_table answer for one key (no app context needed around it)."""
    if is_known(key):
        return "200 DUNNO"
    local, at, domain = key.strip().strip("<>").lower().rpartition("@")
    if at and local and domain == addresses.domain().lower():
        return f"200 {_encode(UNKNOWN)}"
    return "500 not-found"


def answer(app: Flask, request: str) -> str:
    command, _space, key = request.strip().partition(" ")
    if command != "get" or not key:
        return "400 only-get-is-served"
    try:
        with app.app_context():
            return lookup(unquote(key))
    except Exception:
        app.logger.exception("recipient look-up of %r failed", key)
        db.session.remove()
        return "400 look-up-failed-try-again"


class _Connection(socketserver.StreamRequestHandler):
    """One MTA connection: any number of requests, one line each."""

    def handle(self) -> None:
        for line in self.rfile:
            reply = answer(self.server.app, line.decode("utf-8", "replace"))  # type: ignore[attr-defined]
            self.wfile.write(reply.encode("ascii", "replace") + b"\n")
            self.wfile.flush()


class RecipientMap(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, app: Flask, host: str, port: int) -> None:
        self.app = app
        super().__init__((host, port), _Connection)


def serve(app: Flask, *, host: str, port: int) -> None:
    """Serve look-ups until SIGINT or SIGTERM."""
    server = RecipientMap(app, host, port)

    def stop() -> None:
        server.shutdown()
        server.server_close()

    run_until_signalled(threading.Thread(target=server.serve_forever, daemon=True).start, stop)
