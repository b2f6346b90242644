"""Static files: each served under a fingerprint of its content, kept by browsers for a
year, and compressed once rather than on every request.

At start-up every file of `static/` is read and hashed; `static_url("forum.css")` names
it `forum.<digest>.css`, and that address is served with `Cache-Control: public,
max-age=31536000, immutable`, so a returning reader's browser does not even ask for it
again. A changed file gets a new address in the pages. An older fingerprint (from a page
kept before the change) and the plain name are served the current file, to be checked
again on each use (`no-cache`), so a page cached with an old address keeps working.

The stylesheet is served minified (`minify_css`). Text files are sent Brotli- or
gzip-compressed at the strongest settings, to clients
that ask for it: from the `.br` and `.gz` files that `python -m forum.assets` writes
beside them (`make install` does), when they hold the current content, else compressed
in memory on first use.
"""

import gzip
import hashlib
import mimetypes
import re
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import brotli
from flask import Flask, Response, abort, current_app, request, url_for

IMMUTABLE = "public, max-age=31536000, immutable"
# Compressed variants, in the order offered when a client takes both.
ENCODINGS = {"br": ".br", "gzip": ".gz"}
COMPRESSIBLE = {".css", ".svg", ".txt", ".js", ".json", ".xml"}
DIGEST_LENGTH = 12
_FINGERPRINTED = re.compile(
    rf"(?P<stem>.+)\.(?P<digest>[0-9a-f]{{{DIGEST_LENGTH}}})(?P<suffix>\.[^./]+)"
)
# The favicon's fixed address is asked for by browsers on their own: kept for a day.
FAVICON_CACHE = "public, max-age=86400"


_CSS_COMMENT = re.compile(rb"/\*.*?\*/", re.DOTALL)
_CSS_SPACE = re.compile(rb"\s+")
# Spaces that mean nothing: around braces, semicolons, commas and child combinators, and
# after the colon of a declaration (inside braces only: in a selector, "a :focus" differs
# from "a:focus").
_CSS_AROUND = re.compile(rb" ?([{};,>]) ?")
_CSS_DECLARATION = re.compile(rb"\{[^{}]*\}")


def minify_css(data: bytes) -> bytes:
    """A stylesheet without its comments and the spaces that mean nothing: the file
    stays readable, readers download a quarter less. Strings in the stylesheet must not
    hold two spaces in a row or the characters above (ours hold font names only)."""
    data = _CSS_SPACE.sub(b" ", _CSS_COMMENT.sub(b"", data)).strip()
    data = _CSS_AROUND.sub(rb"\1", data)
    data = _CSS_DECLARATION.sub(lambda block: block[0].replace(b": ", b":"), data)
    return data.replace(b";}", b"}") + b"\n"


def _compress(data: bytes, encoding: str) -> bytes:
    if encoding == "br":
        return brotli.compress(data, quality=11)
    return gzip.compress(data, compresslevel=9, mtime=0)


def _decompress(data: bytes, encoding: str) -> bytes:
    return brotli.decompress(data) if encoding == "br" else gzip.decompress(data)


@dataclass
class Asset:
    name: str
    path: Path
    data: bytes
    digest: str
    mimetype: str
    _encoded: dict[str, bytes] = field(default_factory=dict)

    @property
    def compressible(self) -> bool:
        return self.path.suffix in COMPRESSIBLE

    @property
    def url_name(self) -> str:
        stem, dot, suffix = self.name.rpartition(".")
        return f"{stem}.{self.digest}.{suffix}" if dot else f"{self.name}.{self.digest}"

    def encoded(self, encoding: str) -> bytes:
        """The file compressed: the prepared file beside it when it is of this content,
        else compressed now (once)."""
        body = self._encoded.get(encoding)
        if body is None:
            body = self.prepared(encoding) or _compress(self.data, encoding)
            self._encoded[encoding] = body
        return body

    def prepared(self, encoding: str) -> bytes | None:
        beside = self.path.with_name(self.path.name + ENCODINGS[encoding])
        try:
            body = beside.read_bytes()
            return body if _decompress(body, encoding) == self.data else None
        except (OSError, ValueError, brotli.error, EOFError):
            return None


class Assets:
    """Every file of a folder, read and fingerprinted once."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.files: dict[str, Asset] = {}
        self._lock = threading.Lock()
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix not in ENCODINGS.values():
                name = path.relative_to(folder).as_posix()
                data = path.read_bytes()
                if path.suffix == ".css":
                    data = minify_css(data)
                self.files[name] = Asset(
                    name=name,
                    path=path,
                    data=data,
                    digest=hashlib.sha256(data).hexdigest()[:DIGEST_LENGTH],
                    mimetype=mimetypes.guess_type(name)[0] or "application/octet-stream",
                )

    def find(self, requested: str) -> tuple[Asset | None, bool]:
        """The file an address names, and whether the address is its current fingerprint."""
        match = _FINGERPRINTED.fullmatch(requested)
        if match:
            asset = self.files.get(match["stem"] + match["suffix"])
            if asset is not None:
                return asset, match["digest"] == asset.digest
        return self.files.get(requested), False

    def encoded(self, asset: Asset, encoding: str) -> bytes:
        with self._lock:
            return asset.encoded(encoding)

    def write_compressed(self) -> list[Path]:
        """Write the `.br` and `.gz` of every text file beside it; returns what it wrote."""
        written = []
        for asset in self.files.values():
            if not asset.compressible:
                continue
            for encoding, suffix in ENCODINGS.items():
                target = asset.path.with_name(asset.path.name + suffix)
                if asset.prepared(encoding) is None:
                    target.write_bytes(_compress(asset.data, encoding))
                    written.append(target)
        return written

    @property
    def digest(self) -> str:
        """One digest of every file: part of what versions the pages that link them."""
        return hashlib.sha256(
            "".join(f"{name}={a.digest};" for name, a in self.files.items()).encode()
        ).hexdigest()


def _assets() -> Assets:
    return current_app.extensions["assets"]


def static_url(filename: str) -> str:
    """The address of a static file under its current fingerprint."""
    asset = _assets().files.get(filename)
    return url_for("static", filename=asset.url_name if asset else filename)


def _send(asset: Asset, cache_control: str) -> Response:
    encoding = None
    if asset.compressible:
        encoding = request.accept_encodings.best_match(list(ENCODINGS))
    body = _assets().encoded(asset, encoding) if encoding else asset.data
    response = Response(body, mimetype=asset.mimetype)
    if encoding:
        response.headers["Content-Encoding"] = encoding
    response.vary.add("Accept-Encoding")
    response.set_etag(f"{asset.digest}-{encoding or 'identity'}")
    response.headers["Cache-Control"] = cache_control
    return response.make_conditional(request)


def serve(filename: str) -> Response:
    asset, current = _assets().find(filename)
    if asset is None:
        abort(404)
    return _send(asset, IMMUTABLE if current else "public, no-cache")


def favicon() -> Response:
    asset = _assets().files.get("favicon.ico") or abort(404)
    return _send(asset, FAVICON_CACHE)


def init_app(app: Flask, folder: Path) -> None:
    app.extensions["assets"] = Assets(folder)
    app.add_url_rule("/static/<path:filename>", endpoint="static", view_func=serve)
    app.add_url_rule("/favicon.ico", endpoint="favicon", view_func=favicon)
    app.jinja_env.globals["static_url"] = static_url


if __name__ == "__main__":
    from forum.settings import PROJECT_ROOT

    for path in Assets(PROJECT_ROOT / "static").write_compressed():
        print(f"wrote {path.relative_to(PROJECT_ROOT)}", file=sys.stderr)
