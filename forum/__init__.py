"""wsis-forum: the open virtual multi-stakeholder forum of the WSIS follow-up."""

import os
from pathlib import Path
from typing import Any

from flask import Flask, has_request_context
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from forum import extensions
from forum.settings import PROJECT_ROOT, load_config


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=None,
        instance_path=os.environ.get("FORUM_INSTANCE_PATH", str(PROJECT_ROOT / "instance")),
    )
    load_config(app, overrides)
    if app.config["PROXIES"]:
        hops = app.config["PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _init_extensions(app)
    _register_blueprints(app)
    _register_cli(app)

    from forum import assets, conditional, mail, notices, pagecache, web
    from forum.posts import fragments
    from forum.search import services as search

    assets.init_app(app, PROJECT_ROOT / "static")
    conditional.init_app(app)
    web.init_app(app)
    pagecache.init_app(app)
    fragments.init_app(app)
    search.init_app(app)
    mail.init_app(app)
    notices.init_app(app)
    return app


def _init_extensions(app: Flask) -> None:
    import forum.models  # noqa: F401  (every table on the metadata)
    from forum.search.models import include_object

    extensions.db.init_app(app)
    extensions.migrate.init_app(
        app,
        extensions.db,
        directory=str(PROJECT_ROOT / "migrations"),
        render_as_batch=True,
        compare_type=True,
        include_object=include_object,
    )
    extensions.mail.init_app(app)
    # First, so that it runs after every other after-request function.
    extensions.compress.init_app(app)
    from forum import ratelimit, shared

    shared.init_app(app)
    ratelimit.init_app(app)
    from forum.i18n import select_locale

    if app.config["PSEUDO_LOCALE"]:
        _add_pseudo_locale(app)
    extensions.babel.init_app(
        app, locale_selector=select_locale, timezone_selector=_select_timezone
    )
    from forum.accounts import auth

    auth.init_app(app)


def _add_pseudo_locale(app: Flask) -> None:
    """Compile the pseudo-locale's catalogue from the current template into the instance
    folder, beside the real catalogues."""
    from forum import pseudo

    pseudo.register_pseudo_locale()
    directory = Path(app.instance_path) / "pseudo-translations"
    pseudo.write_pseudo_catalogue(
        PROJECT_ROOT / "forum" / "translations" / "messages.pot", directory
    )
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = f"translations;{directory}"


def _select_timezone() -> str | None:
    if not has_request_context():
        return None
    return current_user.timezone if current_user.is_authenticated else None


def _register_blueprints(app: Flask) -> None:
    from forum.web import IdConverter

    app.url_map.converters["int"] = IdConverter
    from forum.accounts import data_views  # noqa: F401  (its routes, on accounts_bp)
    from forum.accounts.views import bp as accounts_bp
    from forum.admin import site_views  # noqa: F401  (its routes, on admin_bp)
    from forum.admin.views import bp as admin_bp
    from forum.archives.views import bp as archives_bp
    from forum.boards.views import bp as boards_bp
    from forum.consultations.views import bp as consultations_bp
    from forum.inbound.views import bp as inbound_bp
    from forum.mail.views import bp as mail_bp
    from forum.meetings.views import bp as meetings_bp
    from forum.moderation.views import bp as moderation_bp
    from forum.notices.views import bp as notices_bp
    from forum.posts.views import bp as posts_bp
    from forum.reads.views import bp as reads_bp
    from forum.reports.views import bp as reports_bp
    from forum.search.views import bp as search_bp
    from forum.site.views import bp as site_bp
    from forum.stocktaking.views import bp as stocktaking_bp

    app.register_blueprint(boards_bp)
    app.register_blueprint(posts_bp)
    app.register_blueprint(reads_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(moderation_bp)
    app.register_blueprint(notices_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(search_bp)
    app.register_blueprint(archives_bp)
    app.register_blueprint(mail_bp)
    app.register_blueprint(inbound_bp)
    app.register_blueprint(site_bp)
    app.register_blueprint(meetings_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(stocktaking_bp)
    app.register_blueprint(consultations_bp)


def _register_cli(app: Flask) -> None:
    from forum.cli import forum_cli
    from forum.mail.cli import mail_cli
    from forum.search.cli import search_cli
    from forum.worker.runner import worker_command
    from forum.worker.supervisor import serve_command

    app.cli.add_command(forum_cli)
    app.cli.add_command(search_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(worker_command)
    app.cli.add_command(serve_command)
