"""Cached reads the overview needs beyond dashboard/data.py.

`projects` belongs in data_access/queries.py (asked for in the issue-3 report); it is here until
then so that a project without any quantified target (P3 in 2023) still gets its heading.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlalchemy import select

from data_access.models import Project

from . import data


@st.cache_data(ttl=data.TTL, show_spinner=False)
def projects(year: int) -> pd.DataFrame:
    """Projects of a plan year in plan order. Columns: code, name_zh, name_en."""
    stmt = (select(Project.code, Project.name_zh, Project.name_en)
            .where(Project.year == year).order_by(Project.sort_order, Project.code))
    with data.engine().connect() as conn:
        rows = conn.execute(stmt).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=["code", "name_zh", "name_en"])
