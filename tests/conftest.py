"""Test-wide setup: a private data folder and secret key; tests never touch a developer's .data/."""

import os
import tempfile

_data_dir = tempfile.mkdtemp(prefix="luckyclub-test-")
os.environ.setdefault("LUCKYCLUB_DATA_DIR", _data_dir)
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("APP_URL", "http://testserver")
os.environ["SCHEDULER_ENABLED"] = "0"
