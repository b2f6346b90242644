"""Cross-cutting web concerns: error pages, security headers, template helpers."""

from collections.abc import Callable
from functools import cache
from types import SimpleNamespace
from urllib.parse import urlsplit

from flask import (
    Flask,
    Response,
    current_app,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin, current_user
from jinja2 import StrictUndefined
from markupsafe import Markup, escape
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import Forbidden, HTTPException, SecurityError
from werkzeug.routing import IntegerConverter, Map

from forum import permissions
from forum.accounts.forms import ActionForm
from forum.accounts.models import STAKEHOLDER_GROUP_LABELS, StakeholderGroup
from forum.boards.models import MODERATION_MODE_LABELS, OUTSIDE_MAIL_LABELS, ROLE_LABELS
from forum.db import mark_writing, unmark_writing
from forum.extensions import db
from forum.i18n import (
    browser_locale,
    country_names,
    format_when,
    install_fast_gettext,
    interface_languages,
    isolate,
    language_tag,
    listing,
    machine_time,
    say_language,
    translations,
    when_formatter,
)
from forum.inbound.models import AUTHENTICATION_LABELS, OUTCOME_LABELS
from forum.kept_parts import kept_part
from forum.mail.models import OUTBOX_STATUS_LABELS
from forum.markup import excerpt
from forum.moderation.models import FLAG_OUTCOME_LABELS, FLAG_REASON_LABELS
from forum.moderation.queries import waiting_count
from forum.pagination import MAX_ID, Page
from forum.posts.forms import formatting_examples
from forum.posts.models import POST_STATUS_LABELS

RTL_LANGUAGES = {"ar", "fa", "he", "ur"}
# Endpoints that serve files, the same for everyone (forum.assets).
FILES = {"static", "favicon"}

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'none'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class IdConverter(IntegerConverter):
    """`<int:...>` in routes: ids beyond what a database column holds are a 404."""

    def __init__(self, url_map: Map, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


class _SessionInterface(SecureCookieSessionInterface):
    """The cookie session, left alone when a file is served: such an answer sets no cookie
    and does not vary with the cookies (Flask would add `Vary: Cookie`), so that browsers
    keep files whatever cookies they send later."""

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if request.endpoint not in FILES:
            super().save_session(app, session, response)


def init_app(app: Flask) -> None:
    app.session_interface = _SessionInterface()
    app.before_request(_declare_writes)
    app.teardown_request(_end_writes)
    app.after_request(_security_headers)
    app.after_request(_say_language)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(OperationalError, _database_unavailable)
    app.register_error_handler(InterfaceError, _database_unavailable)
    app.teardown_appcontext(_release_session)
    app.context_processor(_template_context)
    app.jinja_env.filters["excerpt"] = excerpt
    app.jinja_env.filters["when"] = format_when
    app.jinja_env.filters["iso"] = machine_time
    app.jinja_env.filters["bdi"] = isolate
    app.jinja_env.filters["language_tag"] = language_tag
    app.jinja_env.filters["listing"] = listing
    app.jinja_env.globals["arrow"] = arrow
    app.jinja_env.globals["kept_part"] = kept_part
    app.jinja_env.globals["pager"] = pager
    app.jinja_env.add_extension("jinja2.ext.do")
    install_fast_gettext(app)
    if app.testing:
        app.jinja_env.undefined = StrictUndefined
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True


def _declare_writes() -> None:
    """Requests that change things take SQLite's write lock up front (see forum.db)."""
    if request.method not in {"GET", "HEAD", "OPTIONS"}:
        g.write_token = mark_writing()


def _end_writes(error: BaseException | None) -> None:
    token = g.pop("write_token", None)
    if token is not None:
        unmark_writing(token)


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if request.endpoint in FILES:
        return response
    kept = response.cache_control.private or response.cache_control.public
    if current_user.is_authenticated and not kept:
        # A signed-in person's page is theirs alone: no browser or proxy keeps it, unless
        # the page says that the browser may, to ask again (forum.conditional).
        headers["Cache-Control"] = "no-store"
    return response


def _say_language(response: Response) -> Response:
    """Pages only: a file is the same in every language, and kept whatever the cookies."""
    return response if request.endpoint in FILES else say_language(response)


def _http_error(error: HTTPException) -> Response | tuple[str, int]:
    if isinstance(error, SecurityError):
        # A Host the forum does not answer to: no page is built on it, not even this one.
        return Response("Unknown host.\n", status=400, mimetype="text/plain")
    if isinstance(error, Forbidden) and not current_user.is_authenticated:
        return redirect(url_for("accounts.sign_in", next=request.full_path.rstrip("?")))
    if error.code is None or error.code < 400:
        return error
    template = "errors/page.html"
    return render_template(template, error=error), error.code


def _database_unavailable(error: OperationalError | InterfaceError) -> Response:
    """The database went away (restarted, its connections cut) or is busy beyond waiting: a
    503 page built without it. The connection is dropped from the pool, whose pre-ping
    replaces any other dead one, so the next request works as soon as the database does."""
    current_app.logger.warning("database unavailable: %s", str(error.orig or error)[:500])
    try:
        db.session.rollback()
    except (OperationalError, InterfaceError):
        db.session.close()
    # Nothing on this page may ask the database: not who is signed in, nor their language.
    g._login_user = AnonymousUserMixin()
    locale = browser_locale() or "en"
    with force_locale(locale):
        page = current_app.jinja_env.get_template("errors/unavailable.html").render(
            lang=language_tag(locale),
            text_direction="rtl" if locale.split("_")[0] in RTL_LANGUAGES else "ltr",
        )
    response = Response(page, status=503, mimetype="text/html")
    response.headers["Retry-After"] = "30"
    response.headers["Content-Language"] = language_tag(locale)
    return response


def _release_session(error: BaseException | None) -> None:
    """Give the connection back at the end of a request, even one cut since its last query
    (whose rollback fails): the answer has been made, and the pool drops the dead one."""
    try:
        db.session.remove()
    except (OperationalError, InterfaceError) as failure:
        current_app.logger.warning("database connection lost after a request: %s", failure.orig)
        db.session.remove()


def safe_next_url(target: str | None, default: str) -> str:
    """Only a path on this site, never another host, as the place to go next."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and "\\" not in target:
            return target
    return default


def url_maker(endpoint: str, key: str, *, external: bool = False) -> Callable[[int | str], str]:
    """A fast `url_for` for one endpoint with one varying part (an id or a slug), for pages
    that link every item of a long listing: one real url_for, then string joins."""
    makers = current_app.extensions.setdefault("url_makers", {})
    made = (endpoint, key, external, request.url_root if has_request_context() else None)
    if made not in makers:
        sentinel = 987654321
        url = url_for(endpoint, _external=external, **{key: sentinel})
        prefix, _, suffix = url.partition(str(sentinel))
        makers[made] = lambda value: f"{prefix}{value}{suffix}"
    return makers[made]


def group_labels() -> dict[StakeholderGroup, str]:
    """Stakeholder group labels translated once, for listings of many people."""
    return {group: str(label) for group, label in STAKEHOLDER_GROUP_LABELS.items()}


def country_name(code: str) -> str:
    return country_names().get(code, code)


# Words for the states and kinds that pages show, each enum's own (values shared by two
# enums, "hidden" say, may read differently).
_LABELS = SimpleNamespace(
    post_status=POST_STATUS_LABELS,
    outbox_status=OUTBOX_STATUS_LABELS,
    outcome=OUTCOME_LABELS,
    authentication=AUTHENTICATION_LABELS,
    flag_reason=FLAG_REASON_LABELS,
    flag_outcome=FLAG_OUTCOME_LABELS,
    role=ROLE_LABELS,
    moderation_mode=MODERATION_MODE_LABELS,
    outside_mail=OUTSIDE_MAIL_LABELS,
)


def _right_to_left() -> bool:
    return str(get_locale() or "en").split("_")[0] in RTL_LANGUAGES


def pager(page: Page, endpoint: str, landmark: bool = True, **values: object) -> Markup:
    """A listing's links to its previous and next pages, and where the reader is (nothing
    for a single page); `landmark=False` for a page's second pager, as a page has one
    "Pages" navigation landmark. Python rather than a macro: listings are pages read
    most."""
    if page.pages <= 1:
        return Markup()
    words = _pager_words(str(get_locale() or "en"))
    parts = []
    if page.has_previous:
        before = url_for(endpoint, page=page.number - 1 if page.number > 2 else None, **values)
        parts.append(f'<a rel="prev" href="{escape(before)}">{words["previous"]}</a>')
    parts.append(f"<span>{words['where'] % {'n': page.number, 'total': page.pages}}</span>")
    if page.has_next:
        after = url_for(endpoint, page=page.number + 1, **values)
        parts.append(f'<a rel="next" href="{escape(after)}">{words["next"]}</a>')
    start, end = (f'<nav class="pager" aria-label="{words["pages"]}">', "</nav>")
    if not landmark:
        start, end = '<div class="pager">', "</div>"
    return Markup("\n".join([start, *parts, end]))  # noqa: S704  (escaped values, our markup)


@cache
def _pager_words(locale: str) -> dict[str, str]:
    """A pager's words in the page's language, escaped, with their arrows: made once for
    each `locale` (the key of the cache)."""
    back, forward = (
        f'<span class="arrow" aria-hidden="true">{arrow(way)}</span>' for way in ("back", "forward")
    )
    return {
        "previous": f"{back} {escape(_('Previous'))}",
        "next": f"{escape(_('Next'))} {forward}",
        "pages": str(escape(_("Pages"))),
        # A translation is markup, as in templates; the numbers put in it are escaped.
        "where": Markup(translations().ugettext("Page %(n)d of %(total)d")),  # noqa: S704
    }


def arrow(way: str = "forward") -> str:
    """An arrow pointing `forward` (the way of reading) or `back` in the page's language:
    unlike angle quotation marks, arrows are not mirrored by the bidi algorithm, so the
    glyph is chosen.
    A global rather than a context variable, so that imported macros have it."""
    forward = way == "forward"
    return "←" if forward == _right_to_left() else "→"


def _template_context() -> dict:
    locale = str(get_locale() or "en")
    return {
        "can": permissions.can,
        "country_name": country_name,
        "labels": _LABELS,
        "url_maker": url_maker,
        "group_labels": group_labels,
        "formatting_examples": formatting_examples,
        "when_formatter": when_formatter,
        "Action": permissions.Action,
        "lang": language_tag(locale),
        "locale": locale,
        "languages": interface_languages(),
        "text_direction": "rtl" if _right_to_left() else "ltr",
        "sign_out_form": _sign_out_form(),
        "waiting_for_moderation": waiting_for_moderation(),
    }


def _sign_out_form() -> ActionForm | None:
    """The header's sign-out button. Never reads the request's form: pages shown for a
    request whose form could not be read (too large) render it too."""
    if not current_user.is_authenticated:
        return None
    return ActionForm(formdata=None, prefix="sign-out")


def waiting_for_moderation() -> int | None:
    """How many items wait in the queue, for the header of people who moderate (counted
    once a request)."""
    if "waiting_for_moderation" not in g:
        board_ids = permissions.moderated_board_ids(current_user)
        none = board_ids is not None and not board_ids
        g.waiting_for_moderation = None if none else waiting_count(current_user)
    return g.waiting_for_moderation
