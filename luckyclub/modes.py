"""Every mode the app draws for and takes payments for. Importing this registers each mode's Pool
with the draw lifecycle (platform/draws.py) and its handlers of payment events with the webhook
(platform/payments.py), for code that serves every mode: the app, the jobs, the CLI, the tests.
(Each mode's package also registers its own pool when imported.)"""

from luckyclub.club import membership, raffles  # noqa: F401
from luckyclub.community import pool as community_pool  # noqa: F401
from luckyclub.competitions import fulfilment, pool  # noqa: F401
from luckyclub.lotteries import pool as lottery_pool  # noqa: F401
