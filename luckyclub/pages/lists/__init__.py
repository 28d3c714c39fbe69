"""Signup lists and their lotteries: the lists, one list (its share link), its editor, My signups,
an offer's Accept/Decline page, the family. Importing the package registers its pages."""

from luckyclub.pages.lists import (  # noqa: F401
    editor,
    family,
    list_page,
    lists,
    my_signups,
    offer,
)
