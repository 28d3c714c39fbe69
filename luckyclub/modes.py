"""Every mode the app draws for. Importing this registers each mode's Pool with the draw lifecycle
(platform/draws.py); the app, the CLI, the jobs and the tests import it before any draw runs."""

from luckyclub.club import raffles  # noqa: F401
from luckyclub.competitions import pool  # noqa: F401
