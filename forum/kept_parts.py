"""The parts of every page's header and footer that are the same for every reader of a
language: rendered once a process for each language (and path prefix) and kept, as the
posts' fragments are, so that a page renders only what is its own."""

from flask import current_app, render_template, request
from flask_babel import get_locale
from markupsafe import Markup, escape


def kept_part(template: str, **fill: str) -> Markup:
    """`template` rendered once and kept; each `fill` value (escaped) takes the place of
    the slot of its name, which the kept copy holds where the template wrote it."""
    kept = current_app.extensions.setdefault("kept_parts", {})
    key = (template, str(get_locale() or "en"), request.script_root)
    part = kept.get(key)
    if part is None:
        part = kept[key] = render_template(template, **{name: _slot(name) for name in fill})
    for name, value in fill.items():
        part = part.replace(_slot(name), str(escape(value)))
    return Markup(part)  # noqa: S704  (a template's output, and escaped values)


def _slot(name: str) -> str:
    return f"\x00{name}\x00"
