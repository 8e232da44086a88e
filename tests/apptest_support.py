"""Running the real app under Streamlit's AppTest against a given database."""
from __future__ import annotations

import json
import os
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboard" / "app.py")


def open_page(db_url: str, script: str | None = None, params: dict[str, str] | None = None,
              timeout: float = 60) -> AppTest:
    """Run the app with `params` in the URL, then switch to pages/`script` (None: the default page).

    Caches are cleared first: they are process-wide and each test may use another database.
    Page-content tests run with authentication off unless the test chose a KPI_AUTH_MODE itself
    (the access-control tests do); conftest restores both variables after every test.
    """
    os.environ["KPI_DATABASE_URL"] = db_url
    os.environ.setdefault("KPI_AUTH_MODE", "none")
    params = dict(params or {})
    if "as_of" in params and "known" not in params and _a_past_day(params["as_of"]):
        # The page tests pin figures as known on their as-of day (sample_expectations' rule): D
        # and K both. A link without known= means K = now; pass known="" to open it so.
        params["known"] = params["as_of"]
    params = {k: v for k, v in params.items() if v != ""}
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=timeout)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    if script is not None:
        at.switch_page(str(ROOT / "pages" / script))
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _a_past_day(value: str) -> bool:
    """A YYYY-MM-DD up to today (a link's known= may not lie in the future)."""
    import datetime as dt

    from data_access import clock

    try:
        return len(value) == 10 and dt.date.fromisoformat(value) <= clock.today()
    except ValueError:
        return False


def plotly_specs(at: AppTest) -> list[dict]:
    """The plotly figures on the page as dicts with `data` and `layout`."""
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def deck_specs(at: AppTest) -> list[dict]:
    """The pydeck charts on the page as dicts (layers, mapProvider, …)."""
    return [json.loads(el.proto.json) for el in at.get("deck_gl_json_chart")]


def values(v) -> list:
    """A plotly spec array as a list: a plain list, or plotly's typed-array form {dtype, bdata}."""
    if isinstance(v, dict) and "bdata" in v:
        import base64

        import numpy as np

        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"])).tolist()
    return list(v)


def trace(spec: dict, name: str) -> dict:
    """The one trace called `name` in a plotly spec."""
    (found,) = [t for t in spec["data"] if t.get("name") == name]
    return found


def overview_done(at, code: str) -> str:
    """The overview's 完成 / 年度目标 text of target `code`, read from its bullet chart."""
    (spec,) = plotly_specs(at)
    return by_row(spec, "done", "text")[code]


def by_row(spec: dict, name: str, key: str = "x") -> dict:
    """{y: trace[key]} of the trace `name`: a row-per-target (or per-unit) chart read by row id."""
    t = trace(spec, name)
    return dict(zip(values(t["y"]), values(t[key])))


def page_text(at: AppTest) -> str:
    """All markdown on the page, one element a line."""
    return "\n".join(m.value for m in at.markdown)
