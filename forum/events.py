"""What happened to content, announced once by the services that do it.

Search indexing and mail subscribe here. Receivers run inside the transaction of the
change, so what they record (an index queue row, an outbox row) commits or rolls back
with it.
"""

from blinker import Namespace

_signals = Namespace()

#: sender: the Post that became visible to readers (published at once, or approved);
#: kwarg `new`, true when it was written in the same transaction.
post_published = _signals.signal("post-published")
#: sender: the Post that waits for a coordinator's approval.
post_held = _signals.signal("post-held")
#: sender: the Post whose body changed; kwarg `revision` is the PostRevision kept.
post_edited = _signals.signal("post-edited")
#: sender: the Post that stopped being visible (hidden or deleted); kwarg `status`.
post_withdrawn = _signals.signal("post-withdrawn")
#: sender: the Thread whose title, board or structure changed.
thread_changed = _signals.signal("thread-changed")
#: sender: the User whose name, organisation, group or country changed.
author_changed = _signals.signal("author-changed")
#: sender: the User who was given a role on a board; kwargs `board` and `role`.
role_granted = _signals.signal("role-granted")
