"""新建基层工会: new grassroots union organisations (union_orgs)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from data_access.reporting.cells import Column, choices
from data_access.reporting.context import Context
from data_access.reporting.kinds.base import BLANK_ROWS, Check
from data_access.reporting.kinds.common import NE_INDUSTRIES, PLATFORMS, UNIT, UNIT_NAME, not_future
from data_access.reporting.kinds.periods import DAY
from data_access.reporting.kinds.registry import RegistryKind
from data_access.schema.models import UnionOrg

SECTORS = ("企业", "机关事业", "社会组织", "村社区", "行业联合会")
ORG_INDUSTRIES = NE_INDUSTRIES + ("物流与电商",)
YES_NO = {"是": True, "否": False}
MAX_MEMBERS = 100000  # members of one union at its founding


@dataclass(frozen=True)
class UnionOrgs(RegistryKind):
    def check(self, values: dict[str, Any], ctx: Context) -> Check:
        """Founded neither in the future nor after the plan year; a new-economy union names its
        industry; a plausible member count."""
        out = not_future(ctx, values, "founded_on")
        if values["founded_on"] > ctx.end:
            out.append(("founded_on", f"日期{values['founded_on']}晚于{ctx.year}计划年度"))
        if values["is_new_economy"] and not values.get("industry"):
            out.append(("industry", "新业态工会必须填写行业"))
        members = values.get("members_at_founding")
        if members is not None and not 0 <= members <= MAX_MEMBERS:
            out.append(("members_at_founding", f"会员数{members}不合理"))
        return out

    def template_rows(self, conn: Connection, unit: str, unit_name: str, year: int,
                      period: Any) -> list[dict[str, Any]]:
        """BLANK_ROWS lines with the unit filled in (only new unions are reported)."""
        return [{"unit_code": unit, "unit_name": unit_name} for _ in range(BLANK_ROWS)]


KIND = UnionOrgs(
    code="union_orgs", title_en="New union organisations", title="新建基层工会", sheet="新建工会",
    columns=(
        UNIT, UNIT_NAME,
        Column("name", "工会名称", "text", width=36),
        Column("founded_on", "建会日期", "date", width=12),
        Column("sector", "所属领域", "choice", choices=choices(SECTORS), width=12),
        Column("is_new_economy", "是否新业态", "choice", choices=YES_NO, width=10),
        Column("industry", "行业", "choice", required=False, choices=choices(ORG_INDUSTRIES),
               help="新业态工会必填", width=12),
        Column("platform", "平台", "choice", required=False, choices=choices(PLATFORMS), width=10),
        Column("members_at_founding", "建会时会员数", "int", required=False, width=12),
    ),
    key=("unit_code", "name"), key_text="同一单位、工会名称",
    period=DAY,
    notes=("只填本计划年度内新建的基层工会，每个工会一行。",
           "新业态工会（外卖、快递、网约车、货车司机、家政等）请选择行业和平台。"),
    table=UnionOrg, entry_key=("unit_code", "name"),
    fields=("founded_on", "sector", "is_new_economy", "industry", "platform", "members_at_founding"),
    date_fields=("founded_on",), day_field="founded_on",
)
