"""The forum's own pages, linked from every page's footer."""

from flask import (
    Blueprint,
    abort,
    current_app,
    has_request_context,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale

from forum.site import services
from forum.site.models import PAGE_LABELS, PageSlug

bp = Blueprint("site", __name__)

_SLUGS = ", ".join(repr(slug.value) for slug in PageSlug)


@bp.get(f"/<any({_SLUGS}):name>")
def page(name: str) -> str:
    found = services.page_for(PageSlug(name), str(get_locale() or "en"))
    if found is None:
        abort(404)
    return render_template("site/page.html", page=found, slug=name)


@bp.app_context_processor
def _site_page_links() -> dict:
    """The footer's links to the site pages, on every page (made once for each address
    the forum is served at)."""
    links = current_app.extensions.setdefault("site_page_links", {})
    root = request.url_root if has_request_context() else None
    if root not in links:
        links[root] = [
            (url_for("site.page", name=slug.value), label) for slug, label in PAGE_LABELS.items()
        ]
    return {"site_page_links": links[root], "page_labels": PAGE_LABELS}
