"""The raffle club's member pages: the dashboard and the built-in test membership payment.
Importing the package registers its pages."""

from luckyclub.pages.club import (  # noqa: F401
    dashboard,
    membership,
)
