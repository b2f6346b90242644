"""The admin area's site pages (About, Privacy, …) in each language, and site settings."""

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from forum.admin.views import bp
from forum.extensions import db
from forum.site import services
from forum.site.forms import DeletedPostsForm, PageForm
from forum.site.models import DeletedPosts, PageSlug


def _slug_and_language(slug: str, language: str) -> PageSlug:
    if slug not in set(PageSlug) or language not in current_app.config["LANGUAGES"]:
        abort(404)
    return PageSlug(slug)


def _site_pages(policy_form: DeletedPostsForm, status: int = 200) -> tuple[str, int]:
    return render_template(
        "admin/pages.html",
        pages={slug: services.pages_by_language(slug) for slug in PageSlug},
        policy_form=policy_form,
    ), status


@bp.get("/pages")
def site_pages() -> tuple[str, int]:
    policy = services.deleted_posts_policy().value
    return _site_pages(DeletedPostsForm(formdata=None, policy=policy))


def _edit_page(slug: PageSlug, language: str, form: PageForm, status: int = 200) -> tuple[str, int]:
    stored = services.pages_by_language(slug).get(language)
    return render_template(
        "admin/page_edit.html",
        slug=slug,
        language=language,
        page=stored,
        edits=services.edits_of(stored) if stored else [],
        form=form,
    ), status


@bp.get("/pages/<name>/<language>")
def edit_page(name: str, language: str) -> tuple[str, int]:
    page_slug = _slug_and_language(name, language)
    stored = services.pages_by_language(page_slug).get(language)
    if stored is not None:
        data = {"title": stored.title, "body": stored.body_source}
    else:
        title, body = services.default_text(page_slug, language) or ("", "")
        data = {"title": title, "body": body}
    return _edit_page(page_slug, language, PageForm(formdata=None, data=data))


@bp.post("/pages/<name>/<language>")
def save_page(name: str, language: str) -> object:
    page_slug = _slug_and_language(name, language)
    form = PageForm()
    if not form.validate_on_submit():
        return _edit_page(page_slug, language, form, 400)
    services.save_page(
        page_slug, language, current_user, title=form.title.data, body=form.body.data
    )
    db.session.commit()
    flash(_("The page is saved."), "success")
    return redirect(url_for("admin.edit_page", name=name, language=language))


@bp.post("/settings/deleted-posts")
def deleted_posts_policy() -> object:
    form = DeletedPostsForm()
    if not form.validate_on_submit():
        return _site_pages(form, 400)
    services.set_deleted_posts_policy(DeletedPosts(form.policy.data), current_user)
    db.session.commit()
    flash(_("The setting is saved."), "success")
    return redirect(url_for("admin.site_pages"))
