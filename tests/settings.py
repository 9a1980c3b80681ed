"""The test suite's settings: the development settings, with the secrets development mode makes
kept in a temporary directory for this run, never in the developer's own `.demo/`."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

_secrets_dir = tempfile.mkdtemp(prefix="voiceagent-tests-")
atexit.register(shutil.rmtree, _secrets_dir, True)
os.environ["DEV_SECRETS_FILE"] = str(Path(_secrets_dir) / "secrets.env")

from voiceagent.settings import *  # noqa: E402, F403

# Django's test client calls itself "testserver". Django adds it to ALLOWED_HOSTS once tests
# start, but Channels' AllowedHostsOriginValidator has copied the list by then (asgi.py).
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]  # noqa: F405

# Recordings made by tests go to this run's temporary directory, never the checkout's media/.
RECORDINGS_SPOOL_DIR = Path(_secrets_dir) / "spool"
STORAGES["recordings"]["OPTIONS"] = {"location": str(Path(_secrets_dir) / "recordings")}  # noqa: F405
