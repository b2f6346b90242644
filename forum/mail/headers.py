"""The headers of the mail that boards send: list headers (RFC 2369, RFC 2919, RFC 8058)
on copies of posts and digests, and what marks mail as automatic."""

from flask import url_for

from forum.boards.models import Board
from forum.mail import addresses
from forum.mail.message import folded

AUTO_GENERATED = {"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"}


def one_click(link: str, *fallbacks: str) -> dict[str, str]:
    """List-Unsubscribe with the https link that one POST follows (RFC 8058), and any
    mailto fallbacks for clients without it."""
    return {
        "List-Unsubscribe": folded([f"<{link}>", *(f"<{uri}>" for uri in fallbacks)], ","),
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def list_headers(board: Board, *, unsubscribe_link: str, leave_by_mail: bool) -> dict[str, str]:
    """What mail clients and filters read about the board a message comes from.

    `leave_by_mail` adds `mailto:CODE-leave@` to List-Unsubscribe, for mail that comes
    because the person follows the board (leaving it would not stop a watched thread)."""
    board_page = url_for("boards.board", slug=board.slug, _external=True)
    archive = url_for("archives.board_archive", slug=board.slug, _external=True)
    leave = [f"mailto:{addresses.list_address(board, 'leave')}"] if leave_by_mail else []
    return {
        "List-Id": addresses.list_id(board),
        "List-Help": f"<mailto:{addresses.list_address(board, 'request')}?subject=help>",
        "List-Subscribe": folded(
            [f"<{board_page}>", f"<mailto:{addresses.list_address(board, 'join')}>"], ","
        ),
        "List-Post": f"<mailto:{addresses.posting_address(board)}>",
        "List-Owner": f"<mailto:{addresses.list_address(board, 'owner')}>",
        "List-Archive": f"<{archive}>",
        **one_click(unsubscribe_link, *leave),
    }


def digest_headers(boards: list[Board], *, unsubscribe_link: str) -> dict[str, str]:
    """A digest of one board is that board's list mail, left by mail at `CODE-leave@`;
    of several, the forum's, left by the https link only: no address of the forum
    stops the digests of a period (each board's `-leave@` stops that board alone)."""
    if len(boards) == 1:
        listing = list_headers(boards[0], unsubscribe_link=unsubscribe_link, leave_by_mail=True)
    else:
        listing = {"List-Id": addresses.forum_list_id(), **one_click(unsubscribe_link)}
    return {**AUTO_GENERATED, "Precedence": "bulk", **listing}
