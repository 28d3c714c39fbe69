"""The admin console: one module per page, each authorising on the server in its handlers.
Importing the package registers its pages."""

from luckyclub.pages.admin import (  # noqa: F401
    audit,
    communities,
    competition,
    competitions,
    draws,
    home,
    kick_events,
    lists,
    mail,
    proofs,
    raffles,
    roles,
    stats,
    tickets,
    winners,
)
