"""周进度填报: a unit's weekly increment per weekly-reported target (progress_reports)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from data_access.kpis import versions
from data_access.reporting.cells import Column
from data_access.reporting.context import Context, week_bounds
from data_access.reporting.kinds.base import Check
from data_access.reporting.kinds.common import UNIT, UNIT_NAME, amount
from data_access.reporting.kinds.periods import WEEK
from data_access.reporting.kinds.versioned import VersionedKind
from data_access.schema.models import MEASURE_REPORTED, Target


@dataclass(frozen=True)
class Progress(VersionedKind):
    def figure_key(self, values: dict[str, Any], ctx: Context) -> tuple[Any, ...]:
        return (ctx.targets[values["target_code"]].id, values["unit_code"], values["period_start"],
                values["period_end"])

    def stored(self, values: dict[str, Any], ctx: Context, actor: str) -> dict[str, Any]:
        return dict(target_id=ctx.targets[values["target_code"]].id, unit_code=values["unit_code"],
                    period_start=values["period_start"], period_end=values["period_end"],
                    value=float(values["value"]), reporter=actor, note=values.get("note"))

    def item(self, values: dict[str, Any]) -> tuple[str, str]:
        return str(values["target_code"]), f"{values['period_start']}~{values['period_end']}"

    def labels(self, conn: Connection, rows: Sequence[Any]) -> list[tuple[str, str]]:
        ids = sorted({r.target_id for r in rows})
        codes = dict(conn.execute(select(Target.id, Target.code).where(Target.id.in_(ids))).all())
        return [self.item({"target_code": codes[r.target_id], "period_start": r.period_start,
                           "period_end": r.period_end}) for r in rows]

    def check(self, values: dict[str, Any], ctx: Context) -> Check:
        """Only weekly-reported targets; both days in the plan year and not in the future; exactly
        one reporting week; the figure not negative, whole unless in 元, not above the year's target."""
        out: Check = []
        target = ctx.targets.get(values["target_code"])
        if target and target.measure != MEASURE_REPORTED:
            out.append(("target_code", f"指标{values['target_code']}不按周填报（由登记表自动统计），请用对应模板"))
        for key in ("period_start", "period_end"):
            if not ctx.in_year(values[key]):
                out.append((key, f"日期{values[key]}不在{ctx.year}计划年度内（{ctx.start}至{ctx.end}）"))
            elif values[key] > ctx.now.date():
                out.append((key, f"日期{values[key]}在未来（今天是{ctx.now.date()}）"))
        if ctx.in_year(values["period_end"]) and not out:
            week = week_bounds(values["period_end"], ctx.start, ctx.end)
            if (values["period_start"], values["period_end"]) != week:
                out.append(("period_start", f"周期应为一个填报周（周六至周五），如 {week[0]} 至 {week[1]}"))
        value = values["value"]
        if value < 0:
            out.append(("value", f"不能为负数（{value:g}）；如需核减，请重报该周的正确数"))
        elif target:
            if target.unit_zh != "元" and not float(value).is_integer():
                out.append(("value", f"应为整数（单位：{target.unit_zh}）"))
            if value > target.value:
                out.append(("value", f"{amount(value, target.unit_zh)}超过全年目标"
                                     f"（{amount(target.value, target.unit_zh)}），请核实"))
        return out

    def _targets(self, conn: Connection, year: int) -> list[Any]:
        return list(conn.execute(select(Target.code, Target.name_zh, Target.unit_zh, Target.value).where(
            Target.year == year, Target.measure == MEASURE_REPORTED, Target.retired.is_(False)).order_by(Target.sort_order, Target.code)))

    def template_rows(self, conn: Connection, unit: str, unit_name: str, year: int,
                      period: Any) -> list[dict[str, Any]]:
        """One row per weekly-reported target, the week filled in, the figure blank."""
        return [{"unit_code": unit, "unit_name": unit_name, "target_code": c, "target_name": n, "unit_zh": u,
                 "period_start": period[0], "period_end": period[1]} for c, n, u, _v in self._targets(conn, year)]

    def code_lists(self, conn: Connection, year: int) -> dict[str, tuple[str, list[Any]]]:
        targets = self._targets(conn, year)
        return {"target_code": ("指标代码", [t[0] for t in targets]),
                "target_name": ("指标名称", [t[1] for t in targets]),
                "unit_zh": ("计量单位", [t[2] for t in targets]),
                "target_value": ("全年目标", [t[3] for t in targets])}


KIND = Progress(
    code="progress", title_en="Weekly progress", title="周进度填报", sheet="周进度",
    columns=(
        UNIT, UNIT_NAME,
        Column("target_code", "指标代码", "target", help="T01…T11，从下拉列表选择", width=10),
        Column("target_name", "指标名称", "info", required=False, help="仅供核对，不导入", width=36),
        Column("unit_zh", "计量单位", "info", required=False, help="仅供核对，不导入", width=10),
        Column("period_start", "周期开始", "date", help="周六（年初为1月1日）", width=12),
        Column("period_end", "周期结束", "date", help="周五（年末为12月31日）", width=12),
        Column("value", "本期完成数", "number", help="本周新增完成数，无进展填0；不得为负", width=12),
        Column("note", "备注", "text", required=False, help="更正时请注明原因", width=30),
    ),
    key=("unit_code", "target_code", "period_start", "period_end"), key_text="同一单位、指标、周期",
    period=WEEK,
    notes=("“本期完成数”填本周（周六至周五）新增的完成数，不是累计数；没有进展填0。",
           "更正已报的数：改正后重新上传同一周的数据并在“备注”写明原因；系统保留每一次上报的版本。",
           "单周数字超过全年目标、负数、未来日期都会被拒收。"),
    figure=versions.PROGRESS, value_key="value",
)
