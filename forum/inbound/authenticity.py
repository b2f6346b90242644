"""Who really sent a message: what the forum's own MTA reports, and DKIM checked here.

A From address counts as authenticated when the topmost `Authentication-Results` header
carries the forum's MTA's authserv-id (`MAIL_AUTHSERV_ID`) and reports a DMARC pass, or
a DKIM pass for the From's domain; or when the forum verifies a DKIM signature of that
domain itself. Only the topmost header is read (RFC 8601, section 5): the MTA adds its
own above the others, so one with the trusted authserv-id lower down was written by
someone else. Token addresses (`reply+`, `digest+`, ...) authenticate their owner by
their secret instead; see `forum.inbound.services`.

DKIM keys are looked up in DNS by dkimpy, through `app.extensions["dkim_dns"]` when it
is set (a function of (name, timeout) returning the TXT record's bytes, or None).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import dkim
from dkim.dnsplug import get_txt
from dkim.util import InvalidTagValueList, parse_tag_value
from flask import current_app

from forum.db import utcnow
from forum.inbound.parse import Received

DnsLookup = Callable[..., bytes | None]

# Signatures checked at most, of those whose signing domain matches the From's.
_SIGNATURES_CHECKED = 2
_COMMENT = re.compile(r"\([^()]*\)")
_RESULT = re.compile(r"^\s*([a-z0-9-]+)\s*=\s*([a-z]+)", re.IGNORECASE)
_PROPERTY = re.compile(r"\b([a-z]+\.[a-z0-9-]+)\s*=\s*\"?([^\s;\"]+)", re.IGNORECASE)


@dataclass(frozen=True)
class Verdict:
    """One method's result in an Authentication-Results header, with its properties
    (`header.from`, `header.d`, `smtp.mailfrom`, ...)."""

    method: str
    result: str
    properties: dict[str, str]


@dataclass
class Authenticity:
    """What is known of a message's sender: how its From was authenticated ("dmarc",
    "dkim", "token", "confirmation"; "" when it was not), and the return path's domain
    that SPF passed for, per the forum's MTA."""

    method: str = ""
    spf_domain: str = ""

    def vouches_for_return_path(self, envelope: str, from_address: str) -> bool:
        """Whether an answer to this return path reaches the real sender (not someone
        whose address was forged)."""
        envelope = envelope.strip("<>").lower()
        if not envelope:
            return False
        if self.spf_domain and _domain(envelope) == self.spf_domain:
            return True
        return bool(self.method) and envelope == from_address.lower()


def _domain(address: str) -> str:
    return address.rpartition("@")[2].strip().strip(">").lower()


def aligned(signer: str, from_domain: str) -> bool:
    """A signing domain speaks for the From's domain when it is that domain or a parent
    of it (DMARC's relaxed alignment, without a public-suffix list)."""
    signer, from_domain = signer.lower().strip("."), from_domain.lower()
    return bool(signer) and (from_domain == signer or from_domain.endswith("." + signer))


def trusted_verdicts(received: Received) -> list[Verdict]:
    """The results in the topmost Authentication-Results header, if the forum's MTA wrote
    it; nothing otherwise."""
    if not received.authentication_results:
        return []
    authserv, _sep, rest = _COMMENT.sub(" ", received.authentication_results[0]).partition(";")
    words = authserv.split()
    if not words or words[0].lower() != current_app.config["MAIL_AUTHSERV_ID"].lower():
        return []
    verdicts = []
    for part in rest.split(";"):
        found = _RESULT.match(part)
        if found:
            properties = {name.lower(): value.lower() for name, value in _PROPERTY.findall(part)}
            verdicts.append(Verdict(found[1].lower(), found[2].lower(), properties))
    return verdicts


def _from_mta(verdicts: list[Verdict], from_domain: str) -> str:
    """ "dmarc" or "dkim" when the MTA's results vouch for the From's domain."""
    for verdict in verdicts:
        if verdict.result != "pass":
            continue
        if verdict.method == "dmarc" and verdict.properties.get("header.from", from_domain) == (
            from_domain
        ):
            return "dmarc"
        signer = verdict.properties.get("header.d") or _domain(
            verdict.properties.get("header.i", "")
        )
        if verdict.method == "dkim" and aligned(signer, from_domain):
            return "dkim"
    return ""


def _spf_domain(verdicts: list[Verdict]) -> str:
    for verdict in verdicts:
        if verdict.method == "spf" and verdict.result == "pass":
            return _domain(verdict.properties.get("smtp.mailfrom", ""))
    return ""


def assess(received: Received) -> Authenticity:
    """What the forum's own MTA vouches for."""
    verdicts = trusted_verdicts(received)
    from_domain = _domain(received.from_address)
    method = _from_mta(verdicts, from_domain) if from_domain else ""
    return Authenticity(method=method, spf_domain=_spf_domain(verdicts))


def meant_for(received: Received, recipient: str) -> bool:
    """Whether an authenticated message was written for this address, now: a signed
    message taken from elsewhere (a private mail, another list's post) and sent on to a
    board does not name the board in To or Cc, or is old, or has headers added twice
    (a second From or To that a client would show instead of the signed one)."""
    if received.repeated_headers or recipient.lower() not in received.addressed_to:
        return False
    if received.sent_at is None:
        return False
    age = utcnow() - received.sent_at
    limit = timedelta(days=current_app.config["MAIL_AUTHENTICATED_MAX_AGE_DAYS"])
    return -timedelta(days=1) < age < limit


def _dns() -> DnsLookup:
    return current_app.extensions.get("dkim_dns") or get_txt


def _signs_recipients(tags: dict[bytes, bytes]) -> bool:
    """Whether the signature covers To or Cc, so that the recipients it names are theirs."""
    signed = {name.strip().lower() for name in tags.get(b"h", b"").split(b":")}
    return bool(signed & {b"to", b"cc"})


def dkim_verified(raw: bytes, from_address: str) -> bool:
    """Whether a DKIM signature of the From's domain (or a parent of it) verifies here.
    Signatures limited to a body length (`l=`) are not taken (text could follow), nor
    those that leave To and Cc unsigned (the recipients could be changed)."""
    from_domain = _domain(from_address)
    if not from_domain or not current_app.config["MAIL_DKIM_VERIFY"]:
        return False
    try:
        signer = dkim.DKIM(raw, minkey=1024, timeout=5)
        signatures = [value for name, value in signer.headers if name.lower() == b"dkim-signature"]
    except Exception:  # a message dkimpy cannot split into headers and body
        return False
    checked = 0
    for index, value in enumerate(signatures):
        try:
            tags = parse_tag_value(value)
        except InvalidTagValueList:
            continue
        domain = tags.get(b"d", b"").decode("ascii", "replace")
        if b"l" in tags or not aligned(domain, from_domain) or not _signs_recipients(tags):
            continue
        if checked == _SIGNATURES_CHECKED:
            break
        checked += 1
        try:
            if signer.verify(idx=index, dnsfunc=_dns()):
                return True
        except Exception as error:  # a bad signature, key or DNS answer: not verified
            current_app.logger.info("DKIM signature of %s not verified: %s", domain, error)
    return False
