"""Community raffles (Kick): a community's public page, a viewer's own page and the moderators'
console. Importing the package registers its pages."""

from luckyclub.pages.community import mine, moderate, public  # noqa: F401
