"""The checks of `make bench-cluster`, made once the load has stopped: posts, pages,
search, mail and rate limits, each a dict with `ok` and what it found."""

import random
import re
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from sqlalchemy import func, select

from forum.extensions import db
from tests.bench.cluster_load import Browser, Record, Site, form_fields

OUTBOX_WAIT_SECONDS = 300
SEARCH_WAIT_SECONDS = 180
_MARKER = re.compile(r"\bzq[a-z]{10}\b")


def _fresh(query):
    """Run `query` in a new transaction, to see what the servers committed since."""
    db.session.rollback()
    return db.session.execute(query)


def posts_once(record: Record, setup: dict) -> dict:
    """Every acknowledged post is in the database once, published, under its own id."""
    from forum.posts.models import Post

    rows = _fresh(
        select(Post.id, Post.body_source, Post.status).where(Post.id >= setup["first_new_post"])
    ).all()
    found: dict[str, list[tuple[int, str]]] = {}
    for post_id, body, status in rows:
        for word in _MARKER.findall(body):
            found.setdefault(word, []).append((post_id, str(status)))
    problems = []
    for post in record.posts:
        copies = found.get(post["marker"], [])
        if copies != [(post["post_id"], "published")]:
            problems.append({"acknowledged": post["post_id"], "in_database": copies})
    acknowledged = {post["marker"] for post in record.posts}
    unacknowledged = sorted(ids[0][0] for word, ids in found.items() if word not in acknowledged)
    return {
        "ok": bool(record.posts) and not problems and not unacknowledged,
        "acknowledged_posts": len(record.posts),
        "problems": problems[:20],
        "in_database_but_not_acknowledged": unacknowledged[:20],
    }


def readable_everywhere(site: Site, record: Record) -> dict:
    """Each post, by its permalink, on each server, as an anonymous reader (whose pages come
    from the shared page cache when they are fresh)."""
    pages: dict[tuple[int, str], list[dict]] = {}
    problems = []

    def locate(item: tuple[int, dict]) -> str | None:
        port, post = item
        answer = Browser(site.ports, Record(), random.Random(0)).send(
            "check", "GET", f"/p/{post['post_id']}", expect=302, port=port
        )
        if answer is None:
            return None
        target = urlsplit(answer.location)
        return target.path + (f"?{target.query}" if target.query else "")

    everywhere = [(port, post) for port in site.ports for post in record.posts]
    with ThreadPoolExecutor(max_workers=4) as pool:
        for (port, post), path in zip(everywhere, pool.map(locate, everywhere), strict=True):
            if path is None:
                problems.append({"post": post["post_id"], "port": port, "permalink": "failed"})
            else:
                pages.setdefault((port, path), []).append(post)

    def read(item: tuple[tuple[int, str], list[dict]]) -> list[dict]:
        (port, path), posts = item
        answer = Browser(site.ports, Record(), random.Random(0)).send(
            "check", "GET", path, port=port
        )
        text = answer.text if answer else ""
        return [
            {"post": post["post_id"], "port": port, "page": path}
            for post in posts
            if f'id="p{post["post_id"]}"' not in text or post["marker"] not in text
        ]

    with ThreadPoolExecutor(max_workers=4) as pool:
        for missing in pool.map(read, pages.items()):
            problems.extend(missing)
    return {"ok": not problems, "pages_read": len(pages), "problems": problems[:20]}


def searchable_everywhere(site: Site, record: Record) -> dict:
    """Each post found by its own word on each server, waiting (bounded) for the index."""
    waiting = [(port, post) for port in site.ports for post in record.posts]
    started = time.monotonic()

    def found(item: tuple[int, dict]) -> bool:
        port, post = item
        answer = Browser(site.ports, Record(), random.Random(0)).send(
            "check", "GET", "/search?" + urlencode({"q": post["marker"]}), port=port
        )
        return answer is not None and f'href="/p/{post["post_id"]}"' in answer.text

    while waiting and time.monotonic() - started < SEARCH_WAIT_SECONDS:
        with ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(found, waiting))
        waiting = [item for item, ok in zip(waiting, results, strict=True) if not ok]
        if waiting:
            time.sleep(2)
    return {
        "ok": not waiting,
        "searches": len(site.ports) * len(record.posts),
        "seconds_until_all_found": round(time.monotonic() - started, 1),
        "not_found": [{"post": post["post_id"], "port": port} for port, post in waiting[:20]],
    }


def _outbox_settled(setup: dict) -> tuple[bool, float]:
    from forum.mail.models import OutboxMessage, OutboxStatus

    started = time.monotonic()
    while time.monotonic() - started < OUTBOX_WAIT_SECONDS:
        pending = _fresh(
            select(func.count()).where(
                OutboxMessage.status.in_([OutboxStatus.QUEUED, OutboxStatus.SENDING])
            )
        ).scalar()
        if not pending:
            return True, time.monotonic() - started
        time.sleep(1)
    return False, time.monotonic() - started


def mail_once(app, record: Record, setup: dict, mail_file: Path) -> dict:
    """Every copy of a new post the outbox sent arrived once at its recipient, nothing else
    arrived, and every steady subscriber got every acknowledged post."""
    from forum.accounts.models import User
    from forum.mail.models import MailKind, OutboxMessage, OutboxStatus

    settled, waited = _outbox_settled(setup)
    domain = app.config["MAIL_DOMAIN"]
    received = Counter()
    if mail_file.exists():
        for line in mail_file.read_text(encoding="utf-8").splitlines():
            recipient, _tab, message_id = line.partition("\t")
            received[(recipient, message_id)] += 1
    copies = _fresh(
        select(OutboxMessage.post_id, func.coalesce(OutboxMessage.to_address, User.email),
               OutboxMessage.status)
        .join(User, User.id == OutboxMessage.user_id, isouter=True)
        .where(OutboxMessage.kind == MailKind.POST,
               OutboxMessage.post_id >= setup["first_new_post"])
    ).all()  # fmt: skip
    sent = Counter(
        (address.lower(), f"<post-{post_id}@{domain}>")
        for post_id, address, status in copies
        if status == OutboxStatus.SENT
    )
    not_sent = Counter(str(status) for _p, _a, status in copies if status != OutboxStatus.SENT)
    twice = {key: n for key, n in received.items() if n > 1}
    missing = [key for key in sent if received[key] == 0]
    ours = re.compile(rf"<post-(\d+)@{re.escape(domain)}>")
    unexpected = [
        key
        for key in received
        if key not in sent
        and (found := ours.fullmatch(key[1]))
        and int(found.group(1)) >= setup["first_new_post"]
    ]
    steady = [email.lower() for email in setup["people"]["steady_subscribers"]]
    steady_missing = [
        (email, post["post_id"])
        for email in steady
        for post in record.posts
        if received[(email, f"<post-{post['post_id']}@{domain}>")] != 1
    ]
    return {
        "ok": settled and not (twice or missing or unexpected or steady_missing or not_sent),
        "outbox_drained": settled,
        "seconds_waited_for_outbox": round(waited, 1),
        "copies_queued": len(copies),
        "messages_received": sum(received.values()),
        "not_sent_by_status": dict(not_sent),
        "received_more_than_once": [list(key) for key in list(twice)[:20]],
        "sent_but_not_received": [list(key) for key in missing[:20]],
        "received_but_not_sent": [list(key) for key in unexpected[:20]],
        "steady_subscribers": len(steady),
        "steady_subscriber_copies_missing_or_doubled": steady_missing[:20],
    }


def limits_shared(site: Site, setup: dict) -> dict:
    """A person stopped on server A is stopped on server B: a new account past its daily
    replies, and an account whose password was guessed wrong too often."""
    first, second = site.ports
    rng = random.Random(7)
    poster = Browser(site.ports, Record(), rng)
    signed_in = poster.sign_in(setup["newcomer"], site.password)
    path = f"/t/{setup['limit_thread']}/reply"
    statuses = []
    for _ in range(12):
        page = poster.send("limit", "GET", path, port=first)
        fields = page and _reply_fields(page.text, path)
        answer = poster.send("limit", "POST", path, form=fields or {}, expect=None, port=first)
        statuses.append(answer.status if answer else None)
    page = poster.send("limit", "GET", path, port=second)
    fields = page and _reply_fields(page.text, path)
    on_b = poster.send("limit", "POST", path, form=fields or {}, expect=None, port=second)
    replies = {
        "limit": "NEW_ACCOUNT_REPLY_LIMIT",
        "statuses_on_a": statuses,
        "status_on_b": on_b.status if on_b else None,
    }
    replies["ok"] = bool(
        signed_in and 429 in statuses and statuses.index(429) > 0 and replies["status_on_b"] == 429
    )
    guesser = Browser(site.ports, Record(), rng)
    email = setup["people"]["writers"][0]
    wrong = []
    for _ in range(5):
        page = guesser.send("limit", "GET", "/sign-in", port=first)
        fields = _form(page.text, "/sign-in") if page else {}
        fields.update(email=email, password="not the password")
        answer = guesser.send("limit", "POST", "/sign-in", form=fields, expect=None, port=first)
        wrong.append(answer.status if answer else None)
    page = guesser.send("limit", "GET", "/sign-in", port=second)
    fields = _form(page.text, "/sign-in") if page else {}
    fields.update(email=email, password=site.password)
    right = guesser.send("limit", "POST", "/sign-in", form=fields, expect=None, port=second)
    sign_in = {
        "limit": "LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS",
        "wrong_passwords_on_a": wrong,
        "right_password_on_b": right.status if right else None,
    }
    sign_in["ok"] = wrong == [400] * 5 and sign_in["right_password_on_b"] == 429
    return {"ok": replies["ok"] and sign_in["ok"], "replies": replies, "sign_in": sign_in}


def _form(page: str, action: str) -> dict[str, str]:
    return form_fields(page, action, action) or {}


def _reply_fields(page: str, action: str) -> dict[str, str]:
    return {**_form(page, action), "body": "Testing how many replies a new account may send."}


def run_all(app, site: Site, record: Record, setup: dict, mail_file: Path) -> dict:
    checks = {"posts_once_in_database": posts_once(record, setup)}
    checks["mail_once_per_recipient"] = mail_once(app, record, setup, mail_file)
    checks["readable_on_both_servers"] = readable_everywhere(site, record)
    checks["searchable_on_both_servers"] = searchable_everywhere(site, record)
    checks["rate_limits_shared"] = limits_shared(site, setup)
    return checks
