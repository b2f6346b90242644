"""What an edit changed: the text removed and added between two versions of a post.

Lines are compared first, then the words of the lines that changed, so that a long post
with a few words changed costs little and reads as those few words."""

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

# Words; each ideograph or kana on its own (Chinese is written without spaces); each
# other symbol; runs of white space.
_TOKENS = re.compile(r"\s+|[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|\w+|[^\w\s]")


@dataclass(frozen=True)
class Change:
    kind: Literal["same", "removed", "added"]
    text: str


def _add(changes: list[Change], kind: Literal["same", "removed", "added"], text: str) -> None:
    if not text:
        return
    if changes and changes[-1].kind == kind:
        changes[-1] = Change(kind, changes[-1].text + text)
    else:
        changes.append(Change(kind, text))


def _words(old: str, new: str, changes: list[Change]) -> None:
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b).get_opcodes():
        if op == "equal":
            _add(changes, "same", "".join(a[i1:i2]))
        else:
            _add(changes, "removed", "".join(a[i1:i2]))
            _add(changes, "added", "".join(b[j1:j2]))


def text_changes(old: str, new: str) -> list[Change]:
    """The text of `new`, in order, with what `old` had instead marked as removed and
    what is new marked as added."""
    a = old.replace("\r\n", "\n").splitlines(keepends=True)
    b = new.replace("\r\n", "\n").splitlines(keepends=True)
    changes: list[Change] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b).get_opcodes():
        if op == "equal":
            _add(changes, "same", "".join(a[i1:i2]))
        elif op == "replace":
            _words("".join(a[i1:i2]), "".join(b[j1:j2]), changes)
        else:
            _add(changes, "removed", "".join(a[i1:i2]))
            _add(changes, "added", "".join(b[j1:j2]))
    return changes
