"""The new-economy page's fixture: tests/tiny_data.py plus a few membership rows and union orgs,
small enough that every figure on the page is worked out by hand below.

Units A=410402 新华区, B=410423 鲁山县. T11 target 1000 (A 600, B 400). From tiny_data: A 外卖配送/美团
Dec 2022 100, Jan 2023 35 (30 corrected on 3 Feb); B 快递/顺丰 Jan 20; orgs #1 (A, 2022-11-01, 快递)
and #3 (B, 2023-01-11, 快递), #2 is not new-economy.

Added here:
  A 外卖配送/美团 10 a month Jan–Nov 2022, recorded at month end (history; Jan–Mar 2022 = 30 is
  "same period last year")
  Feb 2023, recorded late on 2 Mar: A 外卖配送/饿了么 300 (a jump: 30× A's trailing median of 10),
                                    B 快递/中通 15, B 网约车/滴滴 5
  Mar 2023: A 货车司机/满帮 40 (4× the median but only 30 above it: not flagged), B 家政服务/其他 25
  orgs: #10 A 2023-02-10 外卖配送/美团 (20 at founding); #11 B 2023-03-27 网约车/滴滴 (5), recorded
        29 Mar; #12 A 2023-03-05 家政服务, in a pending batch (never shown); #13 B 2022-03-15
        货车司机/满帮 (12).

As of 2023-03-31 (EXPECTED below): months Jan–Mar 2023 = 55, 320, 65; T11 440.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import insert

from data_access.schema import models as m
from data_access.kpis.queries import month_end
from tests.tiny_data import A, B, load_tiny

D, T = dt.date, dt.datetime
AS_OF = D(2023, 3, 31)

EXPECTED = {
    "monthly": {  # industry -> Jan, Feb, Mar 2023
        "外卖配送": [35, 300, 0], "快递": [20, 15, 0], "网约车": [0, 5, 0],
        "货车司机": [0, 0, 40], "家政服务": [0, 0, 25],
    },
    "monthly_total": [55, 320, 65],
    "t11": 440, "t11_week": 65, "t11_month": 440 - 55,  # Feb unknown on 28 Feb (recorded 2 Mar)
    "cumulative": 650,  # 2022: 11×10 + 100 = 210; 2023: 440
    "cumulative_week": 650 - 585, "cumulative_month": 650 - 265, "cumulative_year_ago": 30,
    "by_industry": {"外卖配送": 335, "货车司机": 40, "快递": 35, "家政服务": 25, "网约车": 5},
    "by_platform": {"饿了么": 300, "满帮": 40, "美团": 35, "其他": 25, "顺丰": 20, "中通": 15, "滴滴": 5},
    "by_unit": {"新华区": 375, "鲁山县": 65},
    "last_year": {"外卖配送": 30},  # Jan–Mar 2022, all A 外卖配送/美团
    "orgs": 5, "orgs_week": 4, "orgs_month": 4, "orgs_year_ago": 1,
    "founded": {"快递": [1, 0, 0], "物流与电商": [0, 1, 0], "网约车": [0, 0, 1]},  # Jan–Mar 2023
    "in_field": [3, 4, 5],
    # federation -> (orgs, members to date, members this year)
    "federations": {"物流与电商": (2, 585, 375), "快递": (2, 35, 35), "网约车": (1, 5, 5), "家政服务": (0, 25, 25)},
    "flag": (D(2023, 2, 1), A, 300, 10.0),  # month, unit, intake, trailing median
}


def load_ne(engine) -> None:
    load_tiny(engine)
    mem = lambda month, unit, ind, plat, n, at: dict(  # noqa: E731
        month=month, unit_code=unit, industry=ind, platform=plat, new_members=n, recorded_at=at,
        batch_id=None)
    rows = [mem(D(2022, k, 1), A, "外卖配送", "美团", 10, T.combine(month_end(D(2022, k, 1)), dt.time(17)))
            for k in range(1, 12)]
    late = T(2023, 3, 2, 9)
    rows += [
        mem(D(2023, 2, 1), A, "外卖配送", "饿了么", 300, late),
        mem(D(2023, 2, 1), B, "快递", "中通", 15, late),
        mem(D(2023, 2, 1), B, "网约车", "滴滴", 5, late),
        mem(D(2023, 3, 1), A, "货车司机", "满帮", 40, T(2023, 3, 31, 17)),
        mem(D(2023, 3, 1), B, "家政服务", "其他", 25, T(2023, 3, 31, 17)),
    ]
    org = lambda oid, unit, founded, ind, plat, n, at, batch=None: dict(  # noqa: E731
        id=oid, name=f"新业态工会{oid}", unit_code=unit, founded_on=founded, sector="企业",
        is_new_economy=True, industry=ind, platform=plat, members_at_founding=n, recorded_at=at,
        batch_id=batch)
    with engine.begin() as conn:
        conn.execute(insert(m.NeMembership), rows)
        conn.execute(insert(m.UnionOrg), [
            org(10, A, D(2023, 2, 10), "外卖配送", "美团", 20, T(2023, 2, 10, 12)),
            org(11, B, D(2023, 3, 27), "网约车", "滴滴", 5, T(2023, 3, 29, 12)),
            org(12, A, D(2023, 3, 5), "家政服务", "其他", 8, T(2023, 3, 5, 12), batch=1),  # pending
            org(13, B, D(2022, 3, 15), "货车司机", "满帮", 12, T(2022, 3, 15, 12)),
        ])
