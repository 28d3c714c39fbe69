"""Prize competitions. Importing the package registers its draw pool (competitions/pool.py), so any
service of competitions can schedule and run its draws."""

from luckyclub.competitions import pool  # noqa: F401
