"""The members' raffle club. Importing the package registers its draw pool (club/raffles.py), so any
service of the club can schedule and run its draws."""

from luckyclub.club import raffles  # noqa: F401
