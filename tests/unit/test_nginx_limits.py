"""deploy/nginx.conf lets through every upload the app takes, and nothing much larger."""

from __future__ import annotations

import re

from luckyclub.api.body_limits import LARGEST_UPLOAD, WEBHOOK_BODY_LIMIT
from luckyclub.core.settings import PROJECT_ROOT

MIB = 1024 * 1024


def megabytes(block: str) -> int:
    [size] = re.findall(r"client_max_body_size\s+(\d+)m;", block)
    return int(size) * MIB


def test_nginx_caps_uploads_at_the_apps_largest_and_everything_else_small():
    conf = (PROJECT_ROOT / "deploy" / "nginx.conf").read_text()
    upload = conf[conf.index("location /_upload") :]
    server = conf[conf.index("listen 443") : conf.index("location /")]

    assert LARGEST_UPLOAD <= megabytes(upload) <= LARGEST_UPLOAD + 2 * MIB
    assert WEBHOOK_BODY_LIMIT <= megabytes(server) <= 2 * MIB
