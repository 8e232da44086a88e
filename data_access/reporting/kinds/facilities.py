"""驿站与托管班登记: the registry of 爱心驿站 and 爱心托管班 (facilities), the map's points."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, or_, select

from data_access.reporting.cells import Column, choice_label
from data_access.reporting.context import Context
from data_access.reporting.geo import point_in_unit
from data_access.reporting.kinds.base import BLANK_ROWS, Check
from data_access.reporting.kinds.common import UNIT, UNIT_NAME, not_future
from data_access.reporting.kinds.periods import DAY
from data_access.reporting.kinds.registry import RegistryKind
from data_access.schema.models import BATCH_APPROVED, Facility, ImportBatch

FACILITY_KINDS = {"爱心驿站": "care_station", "爱心托管班": "childcare_class"}
FACILITY_STATUS = {"正常": "open", "暂停": "paused", "关闭": "closed"}
MAX_CAPACITY = 2000  # places of one childcare class


@dataclass(frozen=True)
class Facilities(RegistryKind):
    def check(self, values: dict[str, Any], ctx: Context) -> Check:
        """Dates not in the future nor after the plan year, closing after opening and required when
        closed, a plausible capacity, and the point (WGS84) inside the unit's area."""
        out = not_future(ctx, values, "opened_on", "closed_on")
        for key in ("opened_on", "closed_on"):
            if values.get(key) is not None and values[key] > ctx.end:
                out.append((key, f"日期{values[key]}晚于{ctx.year}计划年度"))
        if values.get("closed_on") and values["closed_on"] < values["opened_on"]:
            out.append(("closed_on", "停用日期早于启用日期"))
        if values["status"] == "closed" and values.get("closed_on") is None:
            out.append(("closed_on", "状态为“关闭”时必须填写停用日期"))
        if values.get("capacity") is not None and not 0 <= values["capacity"] <= MAX_CAPACITY:
            out.append(("capacity", f"托管名额{values['capacity']}不合理（应在0至{MAX_CAPACITY}之间）"))
        lat, lon, unit = values["lat"], values["lon"], values["unit_code"]
        valid = -90 <= lat <= 90 and -180 <= lon <= 180
        if not valid or point_in_unit(unit, lat, lon) is False:
            hint = "；经纬度可能填反了" if -90 <= lon <= 90 and point_in_unit(unit, lon, lat) else ""
            problem = "无效" if not valid else f"不在{ctx.units[unit].name_zh}辖区内"
            out.append(("lat", f"坐标（纬度{lat}，经度{lon}）{problem}{hint}"))
        return out

    def template_rows(self, conn: Connection, unit: str, unit_name: str, year: int,
                      period: Any) -> list[dict[str, Any]]:
        """The unit's entries in force (to edit in place), then BLANK_ROWS lines for new ones."""
        f = Facility
        approved = select(ImportBatch.id).where(ImportBatch.status == BATCH_APPROVED)
        existing = conn.execute(select(*f.__table__.c).where(
            f.unit_code == unit, f.superseded_at.is_(None), or_(f.batch_id.is_(None), f.batch_id.in_(approved)))
            .order_by(f.kind, f.opened_on, f.id)).all()
        base = {"unit_code": unit, "unit_name": unit_name}
        copied = ("name", "address", "host_org", "lat", "lon", "opened_on", "closed_on", "services", "capacity")
        rows = [{**base, **{k: getattr(e, k) for k in copied}, "kind": choice_label(self.column("kind"), e.kind),
                 "status": choice_label(self.column("status"), e.status)} for e in existing]
        return rows + [dict(base) for _ in range(BLANK_ROWS)]


KIND = Facilities(
    code="facilities", title_en="Stations and childcare classes", title="驿站与托管班登记", sheet="设施登记",
    columns=(
        UNIT, UNIT_NAME,
        Column("kind", "设施类型", "choice", choices=FACILITY_KINDS, width=12),
        Column("name", "名称", "text", help="与已登记名称一致即视为修改该设施", width=32),
        Column("address", "地址", "text", width=36),
        Column("host_org", "承办单位", "text", width=28),
        Column("lat", "纬度", "number", help="WGS84 十进制度，如 33.7387", width=11),
        Column("lon", "经度", "number", help="WGS84 十进制度，如 113.2877", width=11),
        Column("opened_on", "启用日期", "date", width=12),
        Column("closed_on", "停用日期", "date", required=False, help="状态为“关闭”时必填", width=12),
        Column("status", "状态", "choice", choices=FACILITY_STATUS, width=8),
        Column("services", "服务内容", "text", required=False, help="如：饮水、充电、休息", width=28),
        Column("capacity", "托管名额", "int", required=False, help="托管班填写", width=10),
    ),
    key=("kind", "unit_code", "name"), key_text="同一单位、设施类型、名称",
    period=DAY,
    notes=("已登记的设施已列出：修改信息直接改该行；“名称”与已登记的一致即视为修改，改名请联系市总。",
           "新设施填在下面的空行；坐标为 WGS84 经纬度（十进制度），须位于本单位辖区内。",
           "停用的设施把“状态”改为“关闭”并填写停用日期；不要删除行。"),
    table=Facility, entry_key=("kind", "unit_code", "name"),
    fields=("address", "host_org", "lat", "lon", "opened_on", "closed_on", "status", "services", "capacity"),
    date_fields=("opened_on", "closed_on"), day_field="opened_on",
)
