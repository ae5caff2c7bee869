"""The local default stack: a project-owned PostgreSQL (with PostGIS) cluster and Redis.

Both run as the project's own processes, with data under `.local/` in the repository and
ports of their own (55432, 56379 by default). The machine's system services are never
started, stopped or reconfigured. PostgreSQL refuses to run as root, so as root both
servers run as an unprivileged OS user, `permitwatch`, created on first use.

Connection details, with generated passwords, go to `.local/stack.env` (mode 0600),
which `services.settings` reads.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from services.settings import LOCAL_DIR, get_settings

OS_USER = "permitwatch"
DB_NAME = "permitwatch"
OWNER_ROLE = "permitwatch_owner"
APP_ROLE = "permitwatch_app"
WORKER_ROLE = "permitwatch_worker"  # alert evaluator and delivery: policies on alerting tables only
ENV_FILE = LOCAL_DIR / "stack.env"


class StackError(RuntimeError):
    pass


@dataclass(frozen=True)
class StackConfig:
    root: Path = LOCAL_DIR
    pg_port: int = 55432
    redis_port: int = 56379

    @classmethod
    def from_settings(cls) -> StackConfig:
        s = get_settings()
        return cls(pg_port=s.stack_pg_port, redis_port=s.stack_redis_port)

    @property
    def pg_data(self) -> Path:
        return self.root / "pg" / "data"

    @property
    def pg_run(self) -> Path:
        return self.root / "pg" / "run"

    @property
    def redis_dir(self) -> Path:
        return self.root / "redis"


def pg_bindir() -> Path:
    """The newest installed PostgreSQL whose lib dir has PostGIS."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name), reverse=True)
    for bindir in candidates:
        if any((bindir.parent / "lib").glob("postgis-3*.so")):
            return bindir
    raise StackError("no PostgreSQL with PostGIS found under /usr/lib/postgresql; run scripts/run.sh to install it")


def _as_user(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", OS_USER, "--", *cmd] if os.geteuid() == 0 else cmd


def _ensure_os_user() -> None:
    if os.geteuid() != 0:
        return
    try:
        pwd.getpwnam(OS_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", OS_USER], check=True)


def _own(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(path, OS_USER, OS_USER)


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    res = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if res.returncode != 0:
        raise StackError(f"{' '.join(cmd)} failed ({res.returncode}): {res.stderr.strip() or res.stdout.strip()}")
    return res


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex(("127.0.0.1", port)) == 0


def read_env(path: Path = ENV_FILE) -> dict[str, str]:
    if not path.exists():
        return {}
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line and not line.startswith("#"))
    return {k.strip(): v.strip() for k, v in pairs}


def _secrets(cfg: StackConfig) -> dict[str, str]:
    """Passwords are generated once and kept; rerunning `up` reuses them."""
    env = read_env()
    if f"127.0.0.1:{cfg.pg_port}/" in env.get("PERMITWATCH_ADMIN_DATABASE_URL", ""):
        if "PERMITWATCH_WORKER_DATABASE_URL" not in env:  # a stack made before the worker role existed
            env["PERMITWATCH_WORKER_DATABASE_URL"] = env["PERMITWATCH_DATABASE_URL"].replace(
                f"{APP_ROLE}:", f"{WORKER_ROLE}:", 1).replace(_password(env["PERMITWATCH_DATABASE_URL"]), secrets.token_urlsafe(18), 1)
            _write_env(env)
        if "PERMITWATCH_SECRET_KEY" not in env:  # a stack made before the web app existed
            env["PERMITWATCH_SECRET_KEY"] = secrets.token_urlsafe(32)
            _write_env(env)
        return env
    pw = {role: secrets.token_urlsafe(18) for role in ("admin", "owner", "app", "worker")}
    base = f"127.0.0.1:{cfg.pg_port}/{DB_NAME}"
    env = {
        "PERMITWATCH_ADMIN_DATABASE_URL": f"postgresql://postgres:{pw['admin']}@{base}",
        "PERMITWATCH_DATABASE_OWNER_URL": f"postgresql://{OWNER_ROLE}:{pw['owner']}@{base}",
        "PERMITWATCH_DATABASE_URL": f"postgresql://{APP_ROLE}:{pw['app']}@{base}",
        "PERMITWATCH_WORKER_DATABASE_URL": f"postgresql://{WORKER_ROLE}:{pw['worker']}@{base}",
        "PERMITWATCH_REDIS_URL": f"redis://127.0.0.1:{cfg.redis_port}/0",
        "PERMITWATCH_SECRET_KEY": secrets.token_urlsafe(32),
    }
    _write_env(env)
    return env


def _write_env(env: dict[str, str]) -> None:
    ENV_FILE.parent.mkdir(parents=True, exist_ok=True)
    ENV_FILE.write_text("# written by `permitwatch stack up`; passwords of the local stack\n"
                        + "".join(f"{k}={v}\n" for k, v in env.items()))
    ENV_FILE.chmod(0o600)


def _password(url: str) -> str:
    return url.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]


def _init_postgres(cfg: StackConfig, env: dict[str, str], bindir: Path) -> None:
    _own(cfg.root / "pg")
    _own(cfg.pg_run)
    pwfile = cfg.root / "pg" / "pwfile"
    pwfile.write_text(_password(env["PERMITWATCH_ADMIN_DATABASE_URL"]) + "\n")
    if os.geteuid() == 0:
        shutil.chown(pwfile, OS_USER, OS_USER)
    pwfile.chmod(0o600)
    try:
        _run(_as_user([str(bindir / "initdb"), "-D", str(cfg.pg_data), "-U", "postgres", "--pwfile", str(pwfile),
                       "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"]))
    finally:
        pwfile.unlink(missing_ok=True)
    conf = cfg.pg_data / "postgresql.conf"
    with conf.open("a") as fh:
        fh.write(f"\n# permitwatch local stack\nport = {cfg.pg_port}\nlisten_addresses = '127.0.0.1'\n"
                 f"unix_socket_directories = '{cfg.pg_run}'\nmax_connections = 200\nshared_buffers = 512MB\n"
                 "work_mem = 32MB\nmaintenance_work_mem = 256MB\nmax_wal_size = 4GB\n"
                 "checkpoint_timeout = 15min\nwal_level = minimal\nmax_wal_senders = 0\n"
                 "fsync = on\nsynchronous_commit = on\nlog_min_duration_statement = -1\n")


def _start_postgres(cfg: StackConfig, bindir: Path) -> None:
    if _port_open(cfg.pg_port):
        if (cfg.pg_data / "postmaster.pid").exists():
            return
        raise StackError(f"port {cfg.pg_port} is taken by another process; set another port")
    log = cfg.root / "pg" / "postgres.log"
    _run(_as_user([str(bindir / "pg_ctl"), "-D", str(cfg.pg_data), "-l", str(log), "-w", "-t", "60", "start"]))


def _bootstrap_database(env: dict[str, str]) -> None:
    """Roles, database and extensions: idempotent, run on every `up`."""
    admin = env["PERMITWATCH_ADMIN_DATABASE_URL"]
    server = admin.rsplit("/", 1)[0] + "/postgres"
    roles = {OWNER_ROLE: _password(env["PERMITWATCH_DATABASE_OWNER_URL"]),
             APP_ROLE: _password(env["PERMITWATCH_DATABASE_URL"]),
             WORKER_ROLE: _password(env["PERMITWATCH_WORKER_DATABASE_URL"])}
    with psycopg.connect(server, autocommit=True) as conn:
        for role, password in roles.items():
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
            verb = "ALTER" if exists else "CREATE"
            # The app role must never bypass RLS: no superuser, no BYPASSRLS, owns nothing.
            conn.execute(sql.SQL("{} ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD {}").format(
                sql.SQL(verb), sql.Identifier(role), sql.Literal(password)))
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,)).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(DB_NAME), sql.Identifier(OWNER_ROLE)))
    prepare_database(admin)


def prepare_database(admin_url: str) -> None:
    """Extensions that need a superuser (PostGIS is not a trusted extension)."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        conn.execute(sql.SQL("GRANT CREATE, CONNECT, TEMPORARY ON DATABASE {} TO {}").format(
            sql.Identifier(conn.info.dbname), sql.Identifier(OWNER_ROLE)))
        for role in (APP_ROLE, WORKER_ROLE):
            conn.execute(sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(
                sql.Identifier(conn.info.dbname), sql.Identifier(role)))
        conn.execute(sql.SQL("ALTER SCHEMA public OWNER TO {}").format(sql.Identifier(OWNER_ROLE)))


def _start_redis(cfg: StackConfig) -> None:
    if _port_open(cfg.redis_port):
        if (cfg.redis_dir / "redis.pid").exists():
            return
        raise StackError(f"port {cfg.redis_port} is taken by another process; set another port")
    _own(cfg.redis_dir)
    server = shutil.which("redis-server")
    if not server:
        raise StackError("redis-server is not installed; run scripts/run.sh to install it")
    _run(_as_user([server, "--port", str(cfg.redis_port), "--bind", "127.0.0.1", "--dir", str(cfg.redis_dir),
                   "--daemonize", "yes", "--pidfile", str(cfg.redis_dir / "redis.pid"),
                   "--logfile", str(cfg.redis_dir / "redis.log"), "--appendonly", "yes",
                   "--save", "60 1000", "--protected-mode", "yes"]))
    deadline = time.monotonic() + 20
    while not _port_open(cfg.redis_port):
        if time.monotonic() > deadline:
            raise StackError(f"redis did not open port {cfg.redis_port}; see {cfg.redis_dir / 'redis.log'}")
        time.sleep(0.1)


def up(cfg: StackConfig | None = None) -> dict[str, str]:
    cfg = cfg or StackConfig.from_settings()
    _ensure_os_user()
    if os.geteuid() == 0:
        # The server user must be able to reach .local/ inside the repository.
        cfg.root.mkdir(parents=True, exist_ok=True)
        cfg.root.chmod(0o755)
    env = _secrets(cfg)
    if "PERMITWATCH_STRIPE_SECRET_KEY" not in env:
        # The local stack bills through its own Stripe stand-in (`billing standin`).
        env["PERMITWATCH_STRIPE_SECRET_KEY"] = f"sk_test_local_{secrets.token_urlsafe(18)}"
        env["PERMITWATCH_STRIPE_WEBHOOK_SECRET"] = f"whsec_{secrets.token_urlsafe(24)}"
        env["PERMITWATCH_STRIPE_API_BASE"] = f"http://127.0.0.1:{get_settings().stack_stripe_port}"
        _write_env(env)
    if "PERMITWATCH_RRC_GODRIVE_URL" not in env:
        # The local stack reads the RRC's shares from its own GoDrive server (`sources serve`).
        env["PERMITWATCH_RRC_GODRIVE_URL"] = f"http://127.0.0.1:{get_settings().stack_godrive_port}"
        _write_env(env)
    bindir = pg_bindir()
    if not (cfg.pg_data / "PG_VERSION").exists():
        _init_postgres(cfg, env, bindir)
    _start_postgres(cfg, bindir)
    _bootstrap_database(env)
    _start_redis(cfg)
    return env


def down(cfg: StackConfig | None = None) -> list[str]:
    cfg = cfg or StackConfig.from_settings()
    stopped = []
    if (cfg.pg_data / "postmaster.pid").exists():
        _run(_as_user([str(pg_bindir() / "pg_ctl"), "-D", str(cfg.pg_data), "-m", "fast", "-w", "stop"]))
        stopped.append("postgresql")
    pidfile = cfg.redis_dir / "redis.pid"
    if pidfile.exists():
        pid = int(pidfile.read_text().strip())
        try:
            os.kill(pid, 15)
            deadline = time.monotonic() + 20
            while _port_open(cfg.redis_port) and time.monotonic() < deadline:
                time.sleep(0.1)
            stopped.append("redis")
        except ProcessLookupError:
            pass
        pidfile.unlink(missing_ok=True)
    return stopped


def status(cfg: StackConfig | None = None) -> dict[str, bool]:
    cfg = cfg or StackConfig.from_settings()
    return {
        "postgresql": (cfg.pg_data / "postmaster.pid").exists() and _port_open(cfg.pg_port),
        "redis": _port_open(cfg.redis_port) and (cfg.redis_dir / "redis.pid").exists(),
    }


# ---- the app's own background processes (alert worker, mail catcher) ---------------------

def start_daemon(name: str, argv: list[str], cfg: StackConfig | None = None) -> int:
    """Start `argv` detached, with its pid and log under .local/; a running one is kept."""
    cfg = cfg or StackConfig.from_settings()
    run_dir, log_dir = cfg.root / "run", cfg.root / "log"
    run_dir.mkdir(parents=True, exist_ok=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    pidfile = run_dir / f"{name}.pid"
    if pidfile.exists():
        pid = int(pidfile.read_text())
        if _alive(pid):
            return pid
    with (log_dir / f"{name}.log").open("ab") as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
    pidfile.write_text(str(proc.pid))
    return proc.pid


# The app's own processes on the local stack: what Kubernetes runs as Deployments.
APP_PROCESSES = {"mail-catcher": ["mail", "catch"], "alert-worker": ["alerts", "worker"], "web": ["web"],
                 "godrive": ["sources", "serve"], "source-watch": ["sources", "watch", "--interval", "5"],
                 "export-worker": ["exports", "worker"], "stripe-standin": ["billing", "standin"]}


def start_app_processes(cfg: StackConfig | None = None) -> list[str]:
    exe = [sys.executable, "-m", "services"]
    for name, args in APP_PROCESSES.items():
        start_daemon(name, [*exe, *args], cfg)
    return list(APP_PROCESSES)


def stop_daemons(cfg: StackConfig | None = None) -> list[str]:
    cfg = cfg or StackConfig.from_settings()
    stopped = []
    for pidfile in sorted((cfg.root / "run").glob("*.pid")):
        pid = int(pidfile.read_text())
        if _alive(pid):
            os.kill(pid, 15)
            deadline = time.monotonic() + 15
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            stopped.append(pidfile.stem)
        pidfile.unlink(missing_ok=True)
    return stopped


def daemons(cfg: StackConfig | None = None) -> dict[str, bool]:
    cfg = cfg or StackConfig.from_settings()
    return {p.stem: _alive(int(p.read_text())) for p in sorted((cfg.root / "run").glob("*.pid"))}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie child of ours counts as gone.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False
