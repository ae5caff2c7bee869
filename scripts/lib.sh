# Shared by scripts/run.sh and scripts/test.sh. Installs only what is missing.
# Pango and a font for WeasyPrint, which renders the AOI Activity Report's PDF.
APT_PACKAGES=(redis-server python3-venv ca-certificates libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core)

log() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }

have_postgis() { compgen -G '/usr/lib/postgresql/*/lib/postgis-3*.so' >/dev/null; }

ensure_system_packages() {
  local missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -eq 0 ] && have_postgis; then return; fi
  export DEBIAN_FRONTEND=noninteractive
  log "installing system packages (apt-get update first)"
  apt-get update -qq
  if ! have_postgis; then
    # The newest PostGIS the release ships; it pulls its PostgreSQL server in. The project
    # runs its own cluster under .local/ and never uses or touches a system cluster.
    local postgis; postgis=$(apt-cache search --names-only '^postgresql-[0-9]+-postgis-3$' | cut -d' ' -f1 | sort -V | tail -1)
    [ -n "$postgis" ] || { echo "no postgresql-NN-postgis-3 package in the apt sources" >&2; exit 1; }
    missing+=("$postgis")
  fi
  log "apt-get install ${missing[*]}"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  log "apt-get install $*"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# The browser app's packages (MapLibre GL JS, terra-draw) from npm, as locked.
ensure_web() {
  command -v npm >/dev/null || apt_install nodejs npm
  local stamp=web/node_modules/.installed-$(sha256sum web/package-lock.json | cut -c1-16)
  if [ ! -f "$stamp" ]; then
    log "installing the web app's npm packages"
    (cd web && npm ci --no-audit --no-fund --loglevel=error)
    touch "$stamp"
  fi
}

# Debian's Chromium for the browser tests (Playwright drives it; it never downloads one).
ensure_chromium() {
  [ -x "${CHROMIUM:-/usr/bin/chromium}" ] || apt_install chromium
}

# promtool (from Debian's prometheus package) for the alerting rule tests; the daemon
# is never started (and its recommended exporters are not installed).
ensure_promtool() {
  command -v promtool >/dev/null || apt_install prometheus
}

# pdftoppm (Debian's poppler-utils): the report tests render the PDFs' pages to PNG.
ensure_poppler() {
  command -v pdftoppm >/dev/null || apt_install poppler-utils
}

ensure_venv() {
  local py=${PYTHON:-}
  if [ -z "$py" ]; then
    for cand in python3.12 python3.11 python3; do
      if command -v "$cand" >/dev/null && "$cand" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then py=$cand; break; fi
    done
  fi
  [ -n "$py" ] || { echo "Python 3.11+ is required" >&2; exit 1; }
  if [ ! -x .venv/bin/python ]; then
    log "creating .venv with $py"
    "$py" -m venv .venv
  fi
  local stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
  if [ ! -f "$stamp" ]; then
    log "installing the project into .venv"
    .venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
    .venv/bin/python -m pip install -q -e '.[dev]' 2>&1 | grep -v -e '^WARNING: Location' -e 'is ignored' || true
    .venv/bin/python -c 'import services, psycopg, alembic' || { echo "project install failed" >&2; exit 1; }
    rm -f .venv/.installed-*
    touch "$stamp"
  fi
}
