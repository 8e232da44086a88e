"""新业态劳动者入会（按月）: new members among new-economy workers per month, unit, industry and
platform (ne_membership)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from data_access.kpis import versions
from data_access.reporting.cells import Column, choices
from data_access.reporting.context import Context
from data_access.reporting.kinds.base import Check
from data_access.reporting.kinds.common import NE_INDUSTRIES, PLATFORMS, UNIT, UNIT_NAME
from data_access.reporting.kinds.periods import MONTH
from data_access.reporting.kinds.versioned import VersionedKind
from data_access.schema.models import MEASURE_NE_MEMBERS, NeMembership

DEFAULT_COMBOS = [("外卖配送", "美团"), ("外卖配送", "饿了么"), ("外卖配送", "其他"), ("快递", "顺丰"),
                  ("快递", "中通"), ("快递", "韵达"), ("快递", "京东"), ("快递", "其他"), ("网约车", "滴滴"),
                  ("网约车", "曹操出行"), ("网约车", "其他"), ("货车司机", "满帮"), ("货车司机", "其他"),
                  ("家政服务", "其他")]


@dataclass(frozen=True)
class Membership(VersionedKind):
    def item(self, values: dict[str, Any]) -> tuple[str, str]:
        return f"{values['industry']}/{values['platform']}", f"{values['month']:%Y-%m}"

    def check(self, values: dict[str, Any], ctx: Context) -> Check:
        """The month in the plan year and begun; the count not negative and not above the year's
        new-economy membership target (persons)."""
        out: Check = []
        month = values["month"]
        if not ctx.start.replace(day=1) <= month <= ctx.end:
            out.append(("month", f"月份{month:%Y-%m}不在{ctx.year}计划年度内"))
        elif month > ctx.now.date():
            out.append(("month", f"月份{month:%Y-%m}尚未开始（今天是{ctx.now.date()}）"))
        n = values["new_members"]
        year_target = next((t.value for t in ctx.targets.values() if t.measure == MEASURE_NE_MEMBERS), None)
        if n < 0:
            out.append(("new_members", f"不能为负数（{n}）"))
        elif year_target is not None and n > year_target:
            out.append(("new_members", f"{n:,}人超过全年新业态会员目标（{year_target:,.0f}人），请核实"))
        return out

    def template_rows(self, conn: Connection, unit: str, unit_name: str, year: int,
                      period: Any) -> list[dict[str, Any]]:
        """One row per industry and platform the unit has reported before (else DEFAULT_COMBOS)."""
        m = NeMembership
        combos = conn.execute(select(m.industry, m.platform).distinct().where(m.unit_code == unit)
                              .order_by(m.industry, m.platform)).all() or DEFAULT_COMBOS
        return [{"unit_code": unit, "unit_name": unit_name, "month": period, "industry": i, "platform": p}
                for i, p in combos if i in NE_INDUSTRIES and p in PLATFORMS]


KIND = Membership(
    code="membership", title_en="New-economy members (monthly)", title="新业态劳动者入会（按月）", sheet="新业态入会",
    columns=(
        UNIT, UNIT_NAME,
        Column("month", "月份", "month", help="如 2023-05", width=10),
        Column("industry", "行业", "choice", choices=choices(NE_INDUSTRIES), width=12),
        Column("platform", "平台", "choice", choices=choices(PLATFORMS), help="列表外的平台填“其他”", width=10),
        Column("new_members", "新入会人数", "int", help="当月新发展会员数，无则填0", width=12),
    ),
    key=("unit_code", "month", "industry", "platform"), key_text="同一单位、月份、行业、平台",
    period=MONTH,
    notes=("每个行业、平台一行，填当月新发展的新业态劳动者会员数；没有填0。",
           "列表外的平台请填“其他”；更正已报月份的数：改正后重新上传，系统保留每个版本。"),
    figure=versions.MEMBERSHIP, value_key="new_members",
)
