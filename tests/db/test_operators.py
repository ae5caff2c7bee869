"""Operators: keyed on the P-5 number, every spelling recorded, names resolved without
guessing, merges audited."""

import uuid
from pathlib import Path

import psycopg
import pytest

from services.ingestion.pipeline import ingest
from services.operators.identity import MergeError, merge, resolve_name
from tests.conftest import sample, sample_lines


def _file(tmp_path: Path, day: str, lines) -> str:
    path = tmp_path / f"daf420-{day}.dat"
    path.write_bytes("".join(lines).encode("latin-1"))
    return str(path)


def test_one_operator_per_p5_number_with_every_spelling_as_alias(settings, app_conn, tmp_path):
    ingest(settings, str(sample("2026-07-27")))
    n_ops = app_conn.execute("SELECT count(*) FROM operators").fetchone()[0]
    distinct_p5 = len({line[48:54] for line in sample_lines("2026-07-27") if line.startswith("01")})
    assert n_ops == distinct_p5
    # Next day the RRC spells BLACK SWAN differently (punctuation): same operator, new alias.
    renamed = [line[:66] + "BLACK SWAN OPCO LLC".ljust(32) + line[98:] if line.startswith("01") and line[48:54] == "101935"
               else line for line in sample_lines("2026-07-28")]
    ingest(settings, _file(tmp_path, "2026-07-28", renamed))
    assert app_conn.execute("SELECT count(*) FROM operators").fetchone()[0] == n_ops
    aliases = app_conn.execute("""SELECT a.alias_name, a.name_key FROM operator_aliases a JOIN operators o ON o.id = a.operator_id
                                  WHERE o.p5_number = '101935' ORDER BY a.id""").fetchall()
    assert aliases == [("BLACK SWAN OPCO, LLC", "BLACK SWAN OPCO"), ("BLACK SWAN OPCO LLC", "BLACK SWAN OPCO")]


def test_names_from_other_sources_resolve_or_create_never_guess(settings, app_conn):
    ingest(settings, str(sample("2026-07-28")))
    cur = app_conn.cursor()
    black_swan = cur.execute("SELECT id FROM operators WHERE p5_number = '101935'").fetchone()[0]
    assert resolve_name(cur, "Black Swan Opco, L.L.C.").operator_id == black_swan
    # RRC files 'PERFORMANCE OPERATING PARTNERS,' (cut at 32); the full name finds it.
    perf = cur.execute("SELECT operator_id FROM operator_aliases WHERE alias_name LIKE 'PERFORMANCE OPERATING%%'").fetchone()[0]
    res = resolve_name(cur, "Performance Operating Partners, LLC")
    assert (res.operator_id, res.how) == (perf, "alias")
    unknown = resolve_name(cur, "Black Swan Resources LLC")
    assert unknown.operator_id is None and unknown.how == "unknown"
    created = resolve_name(cur, "Black Swan Resources LLC", create=True)
    assert created.how == "created" and created.operator_id != black_swan
    assert resolve_name(cur, "BLACK SWAN RESOURCES, INC.").operator_id == created.operator_id


def test_a_cut_off_rrc_name_matches_by_prefix_and_ambiguity_is_reported(settings, app_conn):
    cur = app_conn.cursor()
    ops = [cur.execute("INSERT INTO operators (p5_number, canonical_name) VALUES (%s, %s) RETURNING id", (p5, n)).fetchone()[0]
           for p5, n in (("111111", "BURLINGTON RESOURCES OIL & GAS C"), ("222222", "ACME"), ("333333", "ACME TWO"))]
    cur.execute("INSERT INTO operator_aliases (operator_id, alias_name, name_key, prefix_key) VALUES "
                "(%s, 'BURLINGTON RESOURCES OIL & GAS C', 'BURLINGTON RESOURCES OIL AND GAS C', 'BURLINGTON RESOURCES OIL AND GAS')",
                (ops[0],))
    res = resolve_name(cur, "Burlington Resources Oil & Gas Company LP")
    assert (res.operator_id, res.how) == (ops[0], "prefix")
    for oid, alias in ((ops[1], "ACME ENERGY"), (ops[2], "ACME ENERGY INC")):
        cur.execute("INSERT INTO operator_aliases (operator_id, alias_name, name_key) VALUES (%s, %s, 'ACME ENERGY')", (oid, alias))
    amb = resolve_name(cur, "Acme Energy LLC")
    assert amb.operator_id is None and amb.how == "ambiguous" and set(amb.candidates) == {ops[1], ops[2]}


def test_merge_moves_everything_and_is_audited(settings, app_conn):
    ingest(settings, str(sample("2026-07-28")))
    with psycopg.connect(settings.database_owner_url) as owner:
        cur = owner.cursor()
        keep, absorb = [r[0] for r in cur.execute(
            "SELECT operator_id FROM permits_current GROUP BY 1 ORDER BY count(*) DESC LIMIT 2").fetchall()]
        n_absorb = cur.execute("SELECT count(*) FROM permits_current WHERE operator_id = %s", (absorb,)).fetchone()[0]
        n_keep = cur.execute("SELECT count(*) FROM permits_current WHERE operator_id = %s", (keep,)).fetchone()[0]
        ws = uuid.uuid4()
        cur.execute("INSERT INTO workspaces (id, name) VALUES (%s, 'w')", (ws,))
        wl = cur.execute("INSERT INTO operator_watchlists (workspace_id, name) VALUES (%s, 'x') RETURNING id", (ws,)).fetchone()[0]
        cur.execute("INSERT INTO operator_watchlist_items VALUES (%s, %s, %s)", (wl, absorb, ws))
        moved = merge(cur, keep, absorb, actor="test", reason="same company")
        owner.commit()
        assert moved["permits_current"] == n_absorb
        assert cur.execute("SELECT count(*) FROM permits_current WHERE operator_id = %s", (keep,)).fetchone()[0] == n_keep + n_absorb
        assert cur.execute("SELECT operator_id FROM operator_watchlist_items").fetchall() == [(keep,)]
        assert cur.execute("SELECT merged_into FROM operators WHERE id = %s", (absorb,)).fetchone() == (keep,)
        audit = cur.execute("SELECT workspace_id, action, entity_id, metadata->>'reason' FROM audit_log").fetchall()
        assert audit == [(None, "operator.merged", str(keep), "same company")]
        with pytest.raises(MergeError):
            merge(cur, keep, absorb, actor="test", reason="again")
    # The absorbed P-5 number keeps resolving to the kept operator on the next ingest.
    ingest(settings, str(sample("2026-07-31")))
    p5 = app_conn.execute("SELECT p5_number FROM operators WHERE id = %s", (absorb,)).fetchone()[0]
    rows = app_conn.execute("SELECT DISTINCT operator_id FROM permits_current WHERE operator_number = %s", (p5,)).fetchall()
    assert rows == [(keep,)]
