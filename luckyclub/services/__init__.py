"""The domain. Importing the package registers each mode's draw pool with services.draws."""

from luckyclub.services import competition_draws, raffles  # noqa: F401
