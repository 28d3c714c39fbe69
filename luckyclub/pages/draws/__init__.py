"""Public draw pages of every mode: a draw and its proof, the live draw, champions.
Importing the package registers its pages."""

from luckyclub.pages.draws import (  # noqa: F401
    champions,
    draw,
    live_draw,
)
