"""This forum and FlaskBB side by side (`BENCH_PEER=flaskbb make bench`): both served at
once (gunicorn, 2 sync workers each, the forum's page cache off), loaded in turn page by
page for three rounds (which goes first alternates), as a signed-in member and as an
anonymous reader; the ratio of requests/s (this forum's / FlaskBB's) per page per round,
and their medians. The machine is shared and noisy: a ratio within a round is what
compares, as both met the same noise."""

import os
import statistics
import sys

from tests.bench import flaskbb, loadgen
from tests.bench.common import ROOT

ROUNDS = int(os.environ.get("BENCH_PEER_ROUNDS", "3"))
SECONDS = float(os.environ.get("BENCH_PEER_SECONDS", os.environ.get("BENCH_SECONDS", "10")))
PAGES = ("home", "board", "thread", "thread_middle")
# The goals of the forum beside FlaskBB, by page and reader.
GOALS = {("thread", "signed_in_member"): 8.0, ("thread", "anonymous_page_cache_off"): 10.0}


def _log(message: str) -> None:
    print(message, flush=True, file=sys.stderr)


def _words(rng) -> str:
    from forum.demo.bulk import words_of

    return words_of("en", rng, rng.randint(12, 60)).capitalize() + "."


def _rate(port: int, path: str, cookie: str) -> float:
    loadgen.load(port, path, 1.0, cookie)
    return loadgen.load(port, path, SECONDS, cookie)["requests_per_second"]


def compare(env: dict[str, str], pages: dict[str, str], addresses: dict, shape: dict) -> dict:
    from tests.bench.web import gunicorn, session_for

    try:
        _log("FlaskBB: installing and filling it (once)")
        flaskbb.install()
        built = flaskbb.populate(shape["threads"], shape["posts_per_thread"], _words)
    except flaskbb.PeerMissing as missing:
        _log(f"FlaskBB skipped: {missing}")
        return {"skipped": str(missing)}
    theirs = flaskbb.pages()
    peer = flaskbb.Server(ROOT / "instance" / "bench-flaskbb.log")
    rounds = []
    try:
        with gunicorn({**env, "FORUM_PAGE_CACHE_SECONDS": "0"}) as port:
            ours = {"signed_in_member": session_for(port, addresses["member"]),
                    "anonymous_page_cache_off": ""}  # fmt: skip
            their_member = peer.member_cookie()
            status, text = loadgen.fetch(peer.port, theirs["thread"], their_member)
            if status != 200 or "/auth/logout" not in text:
                raise RuntimeError("FlaskBB's member session is not signed in")
            peers = {"signed_in_member": their_member, "anonymous_page_cache_off": ""}
            for number in range(ROUNDS):
                _log(f"beside FlaskBB: round {number + 1} of {ROUNDS}")
                rounds.append(_round(number, port, peer.port, pages, theirs, ours, peers))
    finally:
        peer.stop()
    return {
        "flaskbb": built,
        "pages": theirs,
        "seconds_per_page": SECONDS,
        "rounds": rounds,
        "median_ratio": _medians(rounds),
        "goals": {f"{page} {who}": f"at least {goal} times" for (page, who), goal in GOALS.items()},
    }


def _round(number, port, peer_port, pages, theirs, ours, peers) -> dict:
    """One round: every page and reader, this forum first in even rounds."""
    figures = {}
    for page in PAGES:
        for who in ours:
            runs = [
                ("ours", lambda page=page, who=who: _rate(port, pages[page], ours[who])),
                ("flaskbb", lambda page=page, who=who: _rate(peer_port, theirs[page], peers[who])),
            ]
            rates = {name: run() for name, run in (runs if number % 2 == 0 else runs[::-1])}
            ratio = rates["ours"] / rates["flaskbb"] if rates["flaskbb"] else None
            figures.setdefault(page, {})[who] = {
                "ours_per_second": rates["ours"],
                "flaskbb_per_second": rates["flaskbb"],
                "ratio": round(ratio, 2) if ratio is not None else None,
            }
    return figures


def _medians(rounds: list[dict]) -> dict:
    medians = {}
    for page in PAGES:
        for who in ("signed_in_member", "anonymous_page_cache_off"):
            ratios = [r[page][who]["ratio"] for r in rounds if r[page][who]["ratio"] is not None]
            if ratios:
                medians.setdefault(page, {})[who] = round(statistics.median(ratios), 2)
    return medians
