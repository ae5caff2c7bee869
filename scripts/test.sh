#!/usr/bin/env bash
# The whole test suite against the real stack (PostgreSQL+PostGIS, Redis) that the
# project starts itself. Same installs as scripts/run.sh; extra args go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_system_packages
ensure_venv
.venv/bin/permitwatch stack up
.venv/bin/lint-imports pyproject.toml  # layer contracts: pure modules stay pure
.venv/bin/ruff check services workers tests
exec .venv/bin/python -m pytest "$@"
