"""A tiny hand-built dataset whose every figure is worked out by hand in the tests.

Plan year 2023 (365 days). Units A=410402 新华区, B=410423 鲁山县, C=410400 市总本级.
See the comments beside each row for what it is meant to exercise.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import insert

from data_access.schema import models as m

D = dt.date
T = dt.datetime
A, B, C = "410402", "410423", "410400"
CHILDCARE_CURVE = [0.0, 0.0, 0.0, 0.0, 0.0, 0.25, 0.75, 1.0, 1.0, 1.0, 1.0, 1.0]


def load_tiny(engine) -> None:
    with engine.begin() as conn:
        conn.execute(insert(m.Unit), [
            dict(code=A, name_zh="新华区", name_en="Xinhua District", kind="county", sort_order=1,
                 seat_lat=33.74, seat_lon=113.29, has_boundary=True, active=True),
            dict(code=B, name_zh="鲁山县", name_en="Lushan County", kind="county", sort_order=2,
                 seat_lat=33.74, seat_lon=112.90, has_boundary=True, active=True),
            dict(code=C, name_zh="市总本级", name_en="City federation", kind="city", sort_order=3,
                 seat_lat=None, seat_lon=None, has_boundary=False, active=True),
        ])
        conn.execute(insert(m.PlanYear), [dict(year=2023, title_zh="2023年工作要点",
                                               title_en="2023 plan", start_date=D(2023, 1, 1),
                                               end_date=D(2023, 12, 31))])
        conn.execute(insert(m.Project), [
            dict(id=1, year=2023, code="P1", name_zh="思想政治引航工程", name_en="Ideology", sort_order=1),
            dict(id=4, year=2023, code="P4", name_zh="职工服务暖心工程", name_en="Services", sort_order=4),
            dict(id=5, year=2023, code="P5", name_zh="改革建设提质工程", name_en="Reform", sort_order=5),
        ])
        targets = [
            (1, "T01", 1, "群众性文化活动", "场次", 100, m.MEASURE_REPORTED, None),
            (6, "T06", 4, "职工子女爱心托管班", "家", 4, m.MEASURE_CHILDCARE, CHILDCARE_CURVE),
            (7, "T07", 4, "新建户外劳动者爱心驿站", "家", 10, m.MEASURE_CARE_STATIONS, None),
            (9, "T09", 5, "新建基层工会", "家", 5, m.MEASURE_UNION_ORGS, None),
            (11, "T11", 5, "其中新业态劳动者会员", "人", 1000, m.MEASURE_NE_MEMBERS, None),
        ]
        conn.execute(insert(m.Target), [
            dict(id=i, year=2023, code=code, project_id=p, name_zh=name, name_en=code, unit_zh=u,
                 unit_en=u, value=v, measure=meas, pace_curve=curve, parent_code=None,
                 note_zh=None, sort_order=i)
            for i, code, p, name, u, v, meas, curve in targets
        ])
        conn.execute(insert(m.Allocation), [
            dict(target_id=1, unit_code=A, value=60), dict(target_id=1, unit_code=B, value=40),
            dict(target_id=6, unit_code=A, value=2), dict(target_id=6, unit_code=B, value=2),
            dict(target_id=7, unit_code=A, value=6), dict(target_id=7, unit_code=B, value=4),
            dict(target_id=9, unit_code=A, value=3), dict(target_id=9, unit_code=B, value=2),
            dict(target_id=11, unit_code=A, value=600), dict(target_id=11, unit_code=B, value=400),
        ])
        conn.execute(insert(m.ImportBatch), [
            dict(id=1, kind="progress", unit_code=A, file_name="a.xlsx", file_sha256="a" * 64,
                 uploaded_by="a", uploaded_at=T(2023, 1, 20, 9), row_count=1, status=m.BATCH_PENDING,
                 reviewed_by=None, reviewed_at=None),
            dict(id=2, kind="progress", unit_code=B, file_name="b.xlsx", file_sha256="b" * 64,
                 uploaded_by="b", uploaded_at=T(2023, 1, 13, 18), row_count=1,
                 status=m.BATCH_APPROVED, reviewed_by="r", reviewed_at=T(2023, 1, 14, 9)),
        ])
        rep = lambda unit, s, e, v, at, batch=None: dict(  # noqa: E731
            target_id=1, unit_code=unit, period_start=s, period_end=e, value=v, reporter="x",
            recorded_at=at, batch_id=batch)
        conn.execute(insert(m.ProgressReport), [
            rep(A, D(2022, 12, 26), D(2022, 12, 31), 50, T(2022, 12, 31, 17)),  # last year: never counts
            rep(A, D(2023, 1, 1), D(2023, 1, 6), 5, T(2023, 1, 6, 17)),
            rep(A, D(2023, 1, 7), D(2023, 1, 13), 7, T(2023, 1, 13, 17)),
            rep(A, D(2023, 1, 7), D(2023, 1, 13), 9, T(2023, 1, 16, 9)),  # correction of the 7
            rep(B, D(2023, 1, 1), D(2023, 1, 6), 3, T(2023, 1, 9, 10)),  # reported late
            rep(A, D(2023, 1, 14), D(2023, 1, 20), 4, T(2023, 1, 20, 17), batch=1),  # pending: hidden
            rep(B, D(2023, 1, 7), D(2023, 1, 13), 2, T(2023, 1, 13, 18), batch=2),  # approved 14 Jan
        ])
        fac = lambda fid, kind, unit, opened, recorded, closed=None: dict(  # noqa: E731
            id=fid, kind=kind, name=f"设施{fid}", address="地址", host_org="单位", unit_code=unit,
            lat=33.7, lon=113.0, opened_on=opened, closed_on=closed, status="open",
            services="饮水", capacity=None, recorded_at=recorded, batch_id=None)
        conn.execute(insert(m.Facility), [
            fac(1, "care_station", A, D(2022, 6, 1), T(2022, 6, 1, 10)),  # standing, not new
            fac(2, "care_station", A, D(2023, 1, 5), T(2023, 1, 5, 10)),
            fac(3, "care_station", A, D(2023, 1, 10), T(2023, 1, 10, 10), closed=D(2023, 1, 15)),
            fac(4, "care_station", B, D(2023, 1, 12), T(2023, 1, 14, 10)),  # recorded two days late
            fac(5, "childcare_class", B, D(2023, 1, 8), T(2023, 1, 8, 10)),
        ])
        org = lambda oid, unit, founded, ne=False: dict(  # noqa: E731
            id=oid, name=f"工会{oid}", unit_code=unit, founded_on=founded, sector="企业",
            is_new_economy=ne, industry="快递" if ne else None, platform="顺丰" if ne else None,
            members_at_founding=10, recorded_at=T(founded.year, founded.month, founded.day, 12),
            batch_id=None)
        conn.execute(insert(m.UnionOrg), [
            org(1, A, D(2022, 11, 1), ne=True), org(2, A, D(2023, 1, 3)), org(3, B, D(2023, 1, 11), ne=True),
        ])
        mem = lambda month, unit, ind, plat, n, at: dict(  # noqa: E731
            month=month, unit_code=unit, industry=ind, platform=plat, new_members=n, recorded_at=at,
            batch_id=None)
        conn.execute(insert(m.NeMembership), [
            mem(D(2022, 12, 1), A, "外卖配送", "美团", 100, T(2022, 12, 31, 17)),
            mem(D(2023, 1, 1), A, "外卖配送", "美团", 30, T(2023, 1, 31, 17)),
            mem(D(2023, 1, 1), A, "外卖配送", "美团", 35, T(2023, 2, 3, 9)),  # correction
            mem(D(2023, 1, 1), B, "快递", "顺丰", 20, T(2023, 1, 31, 17)),
        ])
        conn.execute(insert(m.Milestone), [
            dict(year=2023, code="M1", project_id=1, name_zh="职工经典诵读活动", name_en="Reading",
                 due_date=D(2023, 5, 30), status="done", done_on=D(2023, 5, 28), note_zh=None),
        ])
        conn.execute(insert(m.Meta), [dict(key="dataset", value="test")])
        sync_sequences(conn)


def sync_sequences(conn) -> None:
    """After inserts with explicit ids, move PostgreSQL's id sequences past the highest id, so
    later inserts without an id do not collide (SQLite and MariaDB need nothing)."""
    if conn.dialect.name != "postgresql":
        return
    for table in m.Base.metadata.sorted_tables:
        if "id" in table.c and table.c.id.autoincrement in (True, "auto") and table.c.id.primary_key:
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
            )
