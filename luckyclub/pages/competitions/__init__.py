"""Prize competition pages: the catalogue, one competition, the test checkout, the rules.
Importing the package registers its pages."""

from luckyclub.pages.competitions import (  # noqa: F401
    catalogue,
    checkout,
    competition,
    rules,
)
