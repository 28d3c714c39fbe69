"""Every mode the app draws for. Importing this registers each mode's Pool with the draw lifecycle
(platform/draws.py), for code that runs draws of every mode (the app, the jobs, the CLI) without
importing a mode itself. Each mode's package registers its own pool when imported."""

import luckyclub.club  # noqa: F401
import luckyclub.competitions  # noqa: F401
