"""The operator reads its resync interval when its handlers are registered (at import):
tests want seconds, not minutes. Set before any test module imports controllers."""

import os

from services.settings import get_settings

os.environ["PERMITWATCH_OPERATOR_RESYNC_SECONDS"] = "1"
get_settings.cache_clear()
