"""Every registered kind of report (reporting.kinds.KINDS) walks the whole way: template -> filled
in -> preview -> upload -> approve -> history. Parametrised on KINDS, so a new kind is covered
without touching this file: its template is filled in by column type (FILL), with OVERRIDES only
where a value needs to know the place (coordinates)."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from data_access.reporting import commit as committing
from data_access.reporting import history as figures
from data_access.reporting import preview as previewing
from data_access.reporting import review as reviewing
from data_access.reporting import templates
from data_access.reporting.cells import blank
from data_access.reporting.checks import normalise_label
from data_access.reporting.kinds import KINDS
from data_access.schema.models import Facility
from tests.helpers import NOW, XINHUA_SEAT
from tests.people import reporter, reviewer
from tests.tiny_data import A

FILL = {"text": lambda key: f"走查{key}", "number": lambda key: 1, "int": lambda key: 1,
        "date": lambda key: NOW.date()}
OVERRIDES = {"lat": XINHUA_SEAT[0], "lon": XINHUA_SEAT[1]}


def _value(col):
    if col.key in OVERRIDES:
        return OVERRIDES[col.key]
    if col.type == "choice":
        return next(iter(col.choices))
    return FILL[col.type](col.key) if col.type in FILL else None


def fill_in(kind, tpl) -> bytes:
    """Fill the blank cells of the template's pre-filled rows (or, if it has none, of its first
    blank line): required columns, and optional ones except dates."""
    wb = load_workbook(io.BytesIO(tpl.data))
    ws = wb[kind.sheet]
    head = [normalise_label(c.value) for c in ws[1]]
    cols = {i: kind.columns[[normalise_label(c.label) for c in kind.columns].index(h)] for i, h in enumerate(head)}
    readable = [i for i, c in cols.items() if c.type != "info" and c.key != "unit_code"]
    lines = list(ws.iter_rows(min_row=2))
    started = [r for r in lines if not all(blank(r[i].value) for i in readable)]
    todo = [r for r in started if any(blank(r[i].value) and cols[i].required for i in readable)] or \
        [r for r in lines if r not in started][:1]
    for row in todo:
        for i in readable:
            col = cols[i]
            if blank(row[i].value) and (col.required or col.type != "date"):
                row[i].value = _value(col)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize("code", list(KINDS))
def test_kind_walks_template_to_history(tiny, code):
    kind = KINDS[code]
    with tiny.begin() as conn:  # tiny's facilities of 新华区 sit outside it; the template lists them
        conn.execute(update(Facility).where(Facility.unit_code == A).values(lat=XINHUA_SEAT[0], lon=XINHUA_SEAT[1]))
    county = reporter("新华区填报员", A)
    tpl = templates.build_template(tiny, code, A, year=2023, today=NOW.date())
    data = fill_in(kind, tpl)
    pv = previewing.preview(tiny, data, tpl.file_name, now=NOW, allowed_units=(A,))
    assert pv.kind == code and pv.unit_codes == (A,)
    touched = [c for c in pv.changes if c.action != "unchanged"]
    assert touched and all(c.action == "new" for c in touched), previewing.changes_frame(pv)
    done = committing.commit(tiny, data, tpl.file_name, actor=county.username, now=NOW, allowed_units=(A,),
                             expect=pv.fingerprint)
    assert done.status == "pending" and done.counts == pv.counts
    rows = reviewing.batch_rows(tiny, done.batch_id, now=NOW)
    assert len(rows) == len(touched) and set(rows["action"]) == {"new"}
    # before approval the new version is stored but not in force
    values = touched[0].values
    waiting = figures.versions_of(tiny, code, values, now=NOW)
    assert waiting["batch_id"].tolist()[-1] == done.batch_id and not waiting["in_force"].tolist()[-1]
    assert reviewing.review(tiny, done.batch_id, "approve", reviewer=reviewer(), now=NOW) == "approved"
    history = figures.versions_of(tiny, code, values, now=NOW)
    last = history.iloc[-1]
    assert (last["batch_id"], last["status"], bool(last["in_force"])) == (done.batch_id, "approved", True)
    assert history["in_force"].sum() == 1


def test_a_new_kind_needs_only_its_object_and_one_registration(tiny, monkeypatch):
    """A kind registered at run time (here a second monthly membership report on the same table)
    walks the same way, with no other code knowing about it."""
    import dataclasses

    from data_access.reporting import kinds
    from data_access.reporting.kinds import membership

    extra = dataclasses.replace(membership.KIND, code="membership_copy", title="新业态入会副本", sheet="入会副本")
    monkeypatch.setitem(kinds.KINDS, extra.code, extra)
    for alias in (extra.code, extra.title, extra.sheet):
        monkeypatch.setitem(kinds.KIND_ALIASES, alias, extra.code)
    test_kind_walks_template_to_history(tiny, extra.code)
