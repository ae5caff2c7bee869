"""The "person diffing the files" oracle, written independently of the pipeline."""

from services.ingestion.sources.rrc import PermitRecord, parse_lines

LOCATION = ("surface_location", "bottom_hole_locations")


def human_diff(files):
    """The oracle, written independently of the pipeline: per file, which (status, seq)
    a person comparing it with everything seen before would call new or changed. A
    location missing from a file is not a change (RRC omits it on some days)."""
    last: dict[tuple, dict] = {}
    located: dict[str, dict] = {}
    per_day = []
    for lines in files:
        new, changed = set(), set()
        for r in parse_lines(lines):
            if not isinstance(r, PermitRecord) or r.fatal:
                continue
            key, f = (r.status_number, r.sequence), dict(r.fields)
            for loc in LOCATION:
                if not f[loc]:
                    f[loc] = (last.get(key) or {}).get(loc) or located.get(r.status_number, {}).get(loc) or f[loc]
                else:
                    located.setdefault(r.status_number, {})[loc] = f[loc]
            if key not in last:
                new.add(key)
            elif last[key] != f:
                changed.add(key)
            last[key] = f
        per_day.append((new, changed))
    return per_day



def run_keys(conn, run_id):
    """(status number, sequence, change type) of every change a run wrote."""
    return conn.execute("""SELECT p.source_permit_no, v.sequence, c.change_type FROM permit_changes c
                           JOIN permits p ON p.id = c.permit_id JOIN permit_versions v ON v.id = c.permit_version_id
                           WHERE c.ingestion_run_id = %s""", (run_id,)).fetchall()
