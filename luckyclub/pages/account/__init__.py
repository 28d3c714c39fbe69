"""Pages of one's own account: joining, signing in, the profile.
Importing the package registers its pages."""

from luckyclub.pages.account import (  # noqa: F401
    auth,
    profile,
)
