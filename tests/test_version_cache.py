"""The dashboard's caches are keyed by the data's version (dashboard/data.py, data_access/data_version.py):
a rerun without a change reads no figure again; an approval made elsewhere (another session, another
server process, the command line: here a data-layer call) shows on the next rerun, with no cache
cleared and no TTL waited for."""
from __future__ import annotations


from data_access import data_version
from data_access.db import make_engine
from data_access.kpis import tables
from data_access.reporting import commit as committing
from data_access.reporting import review as reviewing
from tests.apptest_support import open_page, overview_done
from tests.helpers import NOW, prow, xlsx
from tests.people import reviewer

XINHUA = "410402"



def test_an_approval_elsewhere_shows_on_the_next_rerun(sample_copy_url, monkeypatch):
    url = sample_copy_url
    eng = make_engine(url)
    calls: list[object] = []
    real = tables.target_overview
    monkeypatch.setattr(tables, "target_overview", lambda *a, **k: calls.append(a[2]) or real(*a, **k))

    at = open_page(url, "overview.py", {"as_of": "2023-06-30"})
    assert overview_done(at, "T01") == "529 / 1,000场次"
    assert at.session_state["_kpi_data_version"] == data_version.current(eng) == 1
    calls.clear()
    at.run()  # nothing changed: every figure from the cache
    assert overview_done(at, "T01") == "529 / 1,000场次" and calls == []

    done = committing.commit(eng, xlsx([prow(unit=XINHUA, value=7)]), "x.xlsx", actor="新华填报员",
                             allowed_units=(XINHUA,), now=NOW)
    at.run()  # an upload waiting for review changes no figure, but the version moved on
    assert overview_done(at, "T01") == "529 / 1,000场次" and at.session_state["_kpi_data_version"] == 2
    assert reviewing.review(eng, done.batch_id, "approve", reviewer=reviewer(), now=NOW) == "approved"
    calls.clear()
    at.run()
    assert not at.exception
    assert overview_done(at, "T01") == "536 / 1,000场次"  # 529 + 7, on the very next rerun
    assert at.session_state["_kpi_data_version"] == 3 and len(calls) >= 1
    calls.clear()
    at.run()
    assert overview_done(at, "T01") == "536 / 1,000场次" and calls == []  # cached again under the new version
    eng.dispose()
