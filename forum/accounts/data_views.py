"""A person's own data: the account page, where they download it all and delete their
account. Its routes are on the accounts blueprint."""

import json

from flask import Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user
from sqlalchemy import func, select

from forum.accounts import deletion, export, services
from forum.accounts.forms import DeleteAccountForm
from forum.accounts.views import bp
from forum.extensions import db
from forum.posts.models import Post
from forum.site.models import DeletedPosts
from forum.site.services import deleted_posts_policy


def _deletion_form(*, submitted: bool = False) -> DeleteAccountForm:
    form = DeleteAccountForm() if submitted else DeleteAccountForm(formdata=None)
    if deleted_posts_policy() != DeletedPosts.CHOOSE:
        del form.posts
    return form


def _account_page(form: DeleteAccountForm, status: int = 200) -> tuple[str, int]:
    return render_template(
        "accounts/account.html",
        form=form,
        policy=deleted_posts_policy(),
        post_count=db.session.scalar(
            select(func.count(Post.id)).where(Post.author_id == current_user.id)
        ),
    ), status


@bp.get("/settings/account")
@login_required
def account() -> tuple[str, int]:
    return _account_page(_deletion_form())


def _download(body: bytes, *, mimetype: str, name: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/settings/account/data.json")
@login_required
def download_data() -> Response:
    document = export.personal_data(current_user)
    body = json.dumps(document, ensure_ascii=False, indent=1).encode()
    return _download(body, mimetype="application/json", name=f"forum-{current_user.id}.json")


@bp.get("/settings/account/posts.mbox")
@login_required
def download_posts() -> Response:
    return _download(
        export.posts_mbox(current_user),
        mimetype="application/mbox",
        name=f"forum-{current_user.id}-posts.mbox",
    )


@bp.post("/settings/account/delete")
@login_required
def delete_account() -> object:
    form = _deletion_form(submitted=True)
    if not form.validate_on_submit():
        return _account_page(form, 400)
    if services.authenticate(current_user.email, form.current_password.data) is None:
        form.current_password.errors.append(_("Your current password is not right."))
        return _account_page(form, 400)
    remove = form.posts.data == "remove" if "posts" in form else False
    deletion.delete_account(current_user._get_current_object(), remove_posts=remove)
    db.session.commit()
    logout_user()
    flash(_("Your account is deleted."), "info")
    return redirect(url_for("boards.home"))
