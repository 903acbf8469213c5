import csv, io
from hypothesis import HealthCheck, given, settings, strategies as st
from crm.imports.formats import FORMATS
from crm.imports.services import records_import
from tests.fuzz.test_fuzz_import import NASTY_CELLS, cell_text

SEEN = {}
@settings(max_examples=600, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(fmt=st.sampled_from(sorted(FORMATS)), cells=st.lists(st.one_of(st.sampled_from(NASTY_CELLS), cell_text), min_size=30, max_size=30), keep=st.lists(st.booleans(), min_size=30, max_size=30), admin=st.booleans())
def test_explore(db, alice, admin_user, alices_client, fmt, cells, keep, admin):
    fm = FORMATS[fmt]()
    header = [c.name for c in fm.columns]
    good = {"client": "Acme Logistics", "owner": "alice@example.com", "logged_by": "alice@example.com"}
    row = [(good.get(h) or c.example or cells[i]) if keep[i] else cells[i] for i, (h, c) in enumerate(zip(header, fm.columns))]
    out = io.StringIO(); w = csv.writer(out); w.writerow(header); w.writerow(row)
    try:
        r = records_import(record_type=fmt, data=out.getvalue().encode(), by=admin_user if admin else alice)
        SEEN.setdefault((fmt, r.ok), 0); SEEN[(fmt, r.ok)] += 1
    except Exception as e:
        key = (fmt, type(e).__name__, str(e)[:80])
        if key not in SEEN:
            SEEN[key] = 1
            print("CRASH", key, row, flush=True)

def test_n():
    print("SEEN", SEEN)
