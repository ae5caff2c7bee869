#!/usr/bin/env bash
# Stops the project's own PostgreSQL and Redis (data stays under .local/).
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/permitwatch down
