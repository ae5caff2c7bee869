"""The alerting rules, checked and unit-tested by promtool (Debian's prometheus package)."""

from __future__ import annotations

import shutil
import subprocess

from services.settings import REPO_ROOT

RULES = REPO_ROOT / "charts" / "permitwatch" / "files" / "prometheus" / "alerts.yaml"
TESTS = REPO_ROOT / "tests" / "charts" / "alerts_test.yaml"


def promtool(*args: str) -> subprocess.CompletedProcess:
    exe = shutil.which("promtool")
    assert exe, "promtool is missing: scripts/test.sh installs Debian's prometheus package"
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=120, cwd=TESTS.parent)


def test_rules_are_valid():
    result = promtool("check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 15 rules found" in result.stdout


def test_rules_fire_when_they_should_and_only_then():
    result = promtool("test", "rules", TESTS.name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
