"""The CLI stays a layer of thin commands: no command calls another command function, and
calls between its modules pass keywords, so an option added to one command cannot shift
another's arguments (the `up` -> `ingest_backfill` break)."""

import ast
from pathlib import Path

from services.settings import REPO_ROOT

CLI = REPO_ROOT / "services" / "cli"


def _modules() -> dict[Path, ast.Module]:
    return {p: ast.parse(p.read_text()) for p in sorted(CLI.glob("*.py"))}


def _command_functions(trees) -> set[str]:
    names = set()
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and any(
                    isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr == "command"
                    for d in node.decorator_list):
                names.add(node.name)
    # main.py's commands are registered in __init__ by app.command(fn)
    main = trees[CLI / "main.py"]
    names |= {n.name for n in main.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")}
    return names


def test_the_cli_is_a_package_of_command_modules():
    assert (CLI / "__init__.py").exists() and not (REPO_ROOT / "services" / "cli.py").exists()
    assert len(list(CLI.glob("*.py"))) >= 8


def test_no_command_function_calls_another_command():
    trees = _modules()
    commands = _command_functions(trees)
    assert {"up", "status", "file", "backfill_cmd", "next_day"} <= commands
    calls = [(p.name, node.lineno, node.func.id) for p, tree in trees.items() for node in ast.walk(tree)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in commands]
    assert calls == []


def test_helpers_shared_between_cli_modules_are_called_with_keywords():
    trees = _modules()
    shared = {"generate_files", "backfill_with_progress"}
    positional = [(p.name, node.lineno, node.func.id) for p, tree in trees.items() for node in ast.walk(tree)
                  if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in shared and node.args]
    assert positional == []
