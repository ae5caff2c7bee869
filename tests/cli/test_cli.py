"""The `permitwatch` command, as a user runs it."""

import json
import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

from services.cli import app
from tests.conftest import env_for, sample, sample_lines

PW = [sys.executable, "-m", "services"]


def _all_commands(group, prefix=()):
    # typer vendors its own click: groups are recognised by their sub-commands.
    for name, cmd in group.commands.items():
        yield (*prefix, name)
        if getattr(cmd, "commands", None):
            yield from _all_commands(cmd, (*prefix, name))


COMMANDS = list(_all_commands(typer.main.get_command(app)))


def test_the_command_tree_is_complete():
    assert {("ingest", "file"), ("ingest", "backfill"), ("rrc", "parse"), ("operators", "merge"), ("up",), ("status",),
            ("stack", "up"), ("db", "upgrade"), ("demo", "generate")} <= set(COMMANDS)


@pytest.mark.parametrize("path", [(), *COMMANDS], ids=lambda p: " ".join(p) or "permitwatch")
def test_every_command_explains_itself(path):
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output and len(result.output.splitlines()) > 5


def test_rrc_parse_prints_one_json_object_per_version_and_touches_no_database(tmp_path):
    proc = subprocess.run([*PW, "rrc", "parse", str(sample("2026-07-28"))], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "PERMITWATCH_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"})
    assert proc.returncode == 0, proc.stderr
    objs = [json.loads(line) for line in proc.stdout.splitlines()]
    versions = [o for o in objs if "status_number" in o and "sequence" in o]
    assert len(versions) == sum(1 for line in sample_lines("2026-07-28") if line.startswith("01"))
    assert len([o for o in objs if "skipped_line" in o]) == 13
    v = next(o for o in versions if (o["status_number"], o["sequence"]) == ("0916838", 97))
    assert v["county"] == "Glasscock" and v["surface_location"] == {"lon": -101.6979715, "lat": 32.0120007}
    problems = subprocess.run([*PW, "rrc", "parse", "--problems-only", str(sample("2026-07-28"))],
                              capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
    only = [json.loads(line) for line in problems.stdout.splitlines()]
    # 07-28 has no record with a problem: only its 13 continuation lines are printed.
    assert len(only) == 13 and all(o["reason"] == "continuation_line" for o in only)


def _pw(settings, *args):
    return subprocess.run([*PW, *args], capture_output=True, text=True, env=env_for(settings), timeout=300)


def test_ingest_file_status_and_exit_codes(settings, tmp_path):
    ok = _pw(settings, "ingest", "file", str(sample("2026-07-27")))
    assert ok.returncode == 0, ok.stderr
    assert "success" in ok.stderr and "records 706" in ok.stderr
    again = _pw(settings, "ingest", "file", str(sample("2026-07-27")))
    assert again.returncode == 0 and "skipped" in again.stderr and "unchanged" in again.stderr
    blank = tmp_path / "daf420-2026-07-28.dat"
    blank.write_bytes("".join(line[:66] + " " * 32 + line[98:] if line.startswith("01") else line
                              for line in sample_lines("2026-07-28")).encode("latin-1"))
    bad = _pw(settings, "ingest", "file", str(blank))
    assert bad.returncode == 2 and "not promoted" in bad.stderr and "null_spikes" in bad.stderr
    missing = _pw(settings, "ingest", "file", str(tmp_path / "nope.dat"))
    assert missing.returncode == 1 and "no such file" in missing.stderr
    status = _pw(settings, "status")
    assert status.returncode == 0 and "permits 693" in status.stdout and "RRC published the newest file 2026" in status.stdout
    assert "last run: failed" in status.stdout
    runs = _pw(settings, "ingest", "runs")
    assert runs.returncode == 0 and runs.stdout.count("│ failed ") == 1 and runs.stdout.count("│ skipped ") == 1


def test_backfill_command_over_a_folder(settings, tmp_path):
    folder = tmp_path / "files"
    folder.mkdir()
    for day in ("2026-07-27", "2026-07-28"):
        (folder / f"daf420-{day}.dat.gz").write_bytes(sample(day).read_bytes())
    (folder / "notes.dat").write_text("no date in this name")
    proc = _pw(settings, "ingest", "backfill", str(folder))
    assert proc.returncode == 0, proc.stderr
    assert "backfill: 2 files, 0 failed" in proc.stderr and "notes.dat: no date in the name" in proc.stderr
    assert "2026-07-28 success 25 changes" in proc.stderr


def test_operators_resolve_exit_codes(settings):
    _pw(settings, "ingest", "file", str(sample("2026-07-28")))
    found = _pw(settings, "operators", "resolve", "Black Swan Opco, L.L.C.")
    assert found.returncode == 0 and json.loads(found.stdout)["how"] == "alias"
    assert _pw(settings, "operators", "resolve", "Nobody Petroleum").returncode == 3


def test_openapi_prints_the_web_apis_document_without_a_database():
    proc = subprocess.run([*PW, "openapi"], capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "PERMITWATCH_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"})
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["openapi"].startswith("3.") and doc["info"]["title"] == "permitwatch"
    params = {p["name"] for p in doc["paths"]["/v1/permits"]["get"]["parameters"]}
    assert {"counties", "operator_ids", "bbox", "aoi", "buffer_m", "cursor", "issued_from", "format"} <= params
    assert "/tiles/permits/{z}/{x}/{y}.mvt" in doc["paths"] and "/auth/signup" in doc["paths"]
