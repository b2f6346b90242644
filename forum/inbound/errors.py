"""How taking in a message stops: an address that is not ours, or a settled outcome."""

from forum.inbound.models import Outcome


class UnknownRecipient(Exception):
    """No board or token address of ours: the MTA should bounce it (550 / EX_NOUSER)."""


class Done(Exception):
    """The message's outcome is settled; `tell_sender` asks for an answer to say why."""

    def __init__(self, outcome: Outcome, reason: str, *, tell_sender: bool = False) -> None:
        super().__init__(reason)
        self.outcome, self.reason, self.tell_sender = outcome, reason, tell_sender
