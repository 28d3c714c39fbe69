"""Every mode the app draws for and takes payments for. Importing this registers each mode's Pool
with the draw lifecycle (platform/draws.py) and its handlers of payment events with the webhook
(platform/payments.py); the app, the CLI, the jobs and the tests import it before any draw runs or
any event arrives."""

from luckyclub.club import membership, raffles  # noqa: F401
from luckyclub.competitions import fulfilment, pool  # noqa: F401
