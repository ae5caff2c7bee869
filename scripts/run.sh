#!/usr/bin/env bash
# The main job on the local default stack, on a fresh Debian/Ubuntu machine, as root:
# installs what is missing (apt: PostgreSQL + PostGIS, Redis; a venv with the project),
# starts the project's own PostgreSQL and Redis under .local/, migrates, generates demo
# data in the RRC daf420 layout, ingests it, serves the web app on http://127.0.0.1:8000/
# and prints a summary. Rerunning is fast and changes nothing that is already right.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_system_packages
ensure_venv
ensure_web
exec .venv/bin/permitwatch up "$@"
