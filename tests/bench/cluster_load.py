"""The people of `make bench-cluster`: readers, searchers, writers and people changing
their subscriptions, each a thread sending real HTTP requests to both servers at random
(as a load balancer without sticky sessions would), signed in through the sign-in form,
and posting through the reply form (its CSRF token and submission token included)."""

import http.client
import random
import re
import statistics
import string
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

from forum.demo.bulk import VOCABULARY

TIMEOUT_SECONDS = 30
_POST_ANCHOR = re.compile(r"#p(\d+)$")
_MARKER_LETTERS = "bcdfghjklmnpqrstvwxz"


class _FormReader(HTMLParser):
    """The fields of the form posting to `action`, with the values the page gives them."""

    def __init__(self, action: str, page_path: str) -> None:
        super().__init__(convert_charrefs=True)
        self.action = action
        self.page_path = page_path
        self.inside = False
        self.fields: dict[str, str] = {}
        self.select: str | None = None
        self.textarea: str | None = None
        self.found = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {key: value or "" for key, value in attrs}
        if (
            tag == "form"
            and (urlsplit(named.get("action") or "").path or self.page_path) == self.action
        ):
            self.inside = self.found = True
        elif not self.inside:
            return
        elif tag == "input" and named.get("name"):
            kind = named.get("type", "text")
            if kind not in {"checkbox", "radio", "submit"} or "checked" in named:
                self.fields[named["name"]] = named.get("value", "")
        elif tag == "select":
            self.select = named.get("name")
        elif tag == "option" and self.select:
            if self.select not in self.fields or "selected" in named:
                self.fields[self.select] = named.get("value", "")
        elif tag == "textarea":
            self.textarea = named.get("name")
            self.fields[self.textarea or ""] = ""

    def handle_data(self, data: str) -> None:
        if self.inside and self.textarea:
            self.fields[self.textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None


def form_fields(page: str, action: str, page_path: str) -> dict[str, str] | None:
    """The fields of the form on `page` (found at `page_path`) that posts to `action`."""
    reader = _FormReader(action, page_path)
    reader.feed(page)
    return reader.fields if reader.found else None


@dataclass
class Answer:
    status: int
    location: str
    text: str


@dataclass
class Record:
    """Every request's latency by kind, every unexpected answer, every acknowledged post."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[dict] = field(default_factory=list)
    posts: list[dict] = field(default_factory=list)

    def summary(self, seconds: float) -> dict:
        kinds = {}
        for kind, values in sorted(self.latencies.items()):
            values = sorted(values)
            cuts = statistics.quantiles(values, n=100) if len(values) > 1 else values * 99
            kinds[kind] = {
                "requests": len(values),
                "requests_per_second": round(len(values) / seconds, 1),
                "p50_ms": round(cuts[49] * 1000, 1),
                "p99_ms": round(cuts[98] * 1000, 1),
            }
        total = sum(len(values) for values in self.latencies.values())
        return {"total_requests_per_second": round(total / seconds, 1), "by_kind": kinds}


class Browser:
    """One person's cookies, sending each request to one of the servers."""

    def __init__(self, ports: list[int], record: Record, rng: random.Random) -> None:
        self.ports = ports
        self.record = record
        self.rng = rng
        self.cookies: dict[str, str] = {}

    def send(
        self,
        kind: str,
        method: str,
        path: str,
        *,
        form: dict[str, str] | None = None,
        expect: int | None = 200,
        port: int | None = None,
    ) -> Answer | None:
        """One request; an answer other than `expect` (when given) is recorded as an error
        (and None)."""
        port = port or self.rng.choice(self.ports)
        headers = {"Accept-Language": "en"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = urlencode(form) if form is not None else None
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_SECONDS)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            self._keep_cookies(response.headers.get_all("Set-Cookie") or [])
        except OSError as error:
            self.error(kind, method, path, port, f"{type(error).__name__}: {error}")
            return None
        finally:
            connection.close()
        elapsed = time.perf_counter() - started
        if expect is not None and response.status != expect:
            self.error(kind, method, path, port, f"status {response.status}", text)
            return None
        self.record.latencies[kind].append(elapsed)
        return Answer(response.status, response.headers.get("Location", ""), text)

    def _keep_cookies(self, headers: list[str]) -> None:
        for header in headers:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or morsel["expires"].startswith("Thu, 01 Jan 1970"):
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def error(self, kind: str, method: str, path: str, port: int, what: str, text: str = ""):
        found = re.search(r"<h1[^>]*>(.*?)</h1>", text, re.S)
        self.record.errors.append(
            {"kind": kind, "request": f"{method} {path}", "port": port, "error": what,
             "page_heading": found.group(1).strip()[:200] if found else ""}
        )  # fmt: skip

    def submit(self, kind: str, page_path: str, action: str, changes: dict[str, str]):
        """GET the page holding the form, fill it in as a browser would, POST it."""
        page = self.send(f"{kind}_form", "GET", page_path)
        if page is None:
            return None
        fields = form_fields(page.text, action, page_path)
        if fields is None:
            self.error(kind, "GET", page_path, 0, f"no form posting to {action}")
            return None
        return self.send(kind, "POST", action, form={**fields, **changes}, expect=302)

    def sign_in(self, email: str, password: str) -> bool:
        answer = self.submit(
            "sign_in", "/sign-in", "/sign-in", {"email": email, "password": password}
        )
        return answer is not None


@dataclass
class Site:
    """What the people of the benchmark read and write."""

    ports: list[int]
    boards: list[str]
    threads: list[int]
    other_threads: list[int]
    password: str
    stop_at: float = 0.0

    def running(self) -> bool:
        return time.monotonic() < self.stop_at


def _page(site: Site, rng: random.Random) -> tuple[str, str]:
    roll = rng.random()
    if roll < 0.2:
        return "home", "/"
    if roll < 0.45:
        return "board", f"/b/{rng.choice(site.boards)}"
    if roll < 0.85:
        pool = site.threads if rng.random() < 0.7 else site.other_threads
        return "thread", f"/t/{rng.choice(pool)}"
    feeds = ["/posts.atom", f"/b/{rng.choice(site.boards)}/posts.atom"]
    return "feed", rng.choice(feeds)


def reader(site: Site, record: Record, seed: int, email: str | None) -> None:
    """Reads pages and feeds, anonymously or signed in, with a short pause between."""
    rng = random.Random(seed)
    browser = Browser(site.ports, record, rng)
    who = "anonymous"
    if email:
        who = "signed_in"
        if not browser.sign_in(email, site.password):
            return
    while site.running():
        kind, path = _page(site, rng)
        browser.send(f"{who}:{kind}", "GET", path)
        time.sleep(rng.uniform(0.05, 0.3))


def searcher(site: Site, record: Record, seed: int) -> None:
    """Searches: single words, two words, phrases, a word's prefix, titles only, a board."""
    rng = random.Random(seed)
    browser = Browser(site.ports, record, rng)
    while site.running():
        first, second = rng.sample(VOCABULARY, 2)
        args = rng.choice([
            {"q": first}, {"q": f"{first} {second}"}, {"q": f'"{first} {second}"'},
            {"q": f"{first[:4]}*"}, {"q": f"title:{first}"},
            {"q": first, "board": rng.choice(site.boards)}, {"q": first, "sort": "newest"},
        ])  # fmt: skip
        browser.send("search", "GET", "/search?" + urlencode(args))
        time.sleep(rng.uniform(0.2, 0.8))


def marker(rng: random.Random) -> str:
    """A made-up word found in one post only, to find it again in the database and by search."""
    return "zq" + "".join(rng.choice(_MARKER_LETTERS) for _ in range(10))


def writer(site: Site, record: Record, seed: int, email: str) -> None:
    """Replies through the reply form, then reads the thread it is sent to, and pauses."""
    rng = random.Random(seed)
    browser = Browser(site.ports, record, rng)
    if not browser.sign_in(email, site.password):
        return
    while site.running():
        thread_id = rng.choice(site.threads)
        word = marker(rng)
        words = " ".join(rng.choices(VOCABULARY, k=rng.randint(8, 40)))
        body = f"{words.capitalize()}.\n\nReference {word}."
        path = f"/t/{thread_id}/reply"
        answer = browser.submit("reply", path, path, {"body": body})
        if answer is not None:
            _acknowledge(browser, record, answer, thread_id=thread_id, word=word, email=email)
        time.sleep(rng.uniform(1.0, 3.0))


def _acknowledge(
    browser: Browser, record: Record, answer: Answer, *, thread_id: int, word: str, email: str
) -> None:
    """Note the post the redirect names, and follow the redirect to it."""
    target = urlsplit(answer.location)
    found = _POST_ANCHOR.search(answer.location)
    if found is None:
        browser.error("reply", "POST", f"/t/{thread_id}/reply", 0, f"sent to {answer.location}")
        return
    record.posts.append(
        {"post_id": int(found.group(1)), "thread_id": thread_id, "marker": word, "author": email}
    )
    path = target.path + (f"?{target.query}" if target.query else "")
    browser.send("thread_after_reply", "GET", path)


def subscriber(site: Site, record: Record, seed: int, email: str) -> None:
    """Follows and stops following boards by email, through each board page's form."""
    rng = random.Random(seed)
    browser = Browser(site.ports, record, rng)
    if not browser.sign_in(email, site.password):
        return
    while site.running():
        slug = rng.choice(site.boards)
        mode = rng.choice(["every_post", "off"])
        browser.submit("subscription", f"/b/{slug}", f"/b/{slug}/mail", {"mail-mode": mode})
        time.sleep(rng.uniform(0.5, 2.0))


def random_password(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(16))


def run(site: Site, record: Record, roles: list[tuple]) -> None:
    """Run every role in a thread of its own until `site.stop_at`."""
    threads = [threading.Thread(target=role, args=(site, record, *args)) for role, *args in roles]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
