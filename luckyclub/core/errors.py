"""The one error a person can meet: a sentence that says what to do."""


class UserError(Exception):
    """Bad input or a refused action, with a message meant to be shown as it is."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(UserError):
    """The signed-in person may not do this (not signed in, not an admin, banned)."""
