"""Columns and choice lists more than one kind of report shares."""
from __future__ import annotations

from typing import Any

from data_access.reporting.cells import Column
from data_access.reporting.context import Context

UNIT = Column("unit_code", "单位代码", "unit", help="6位区划代码，从下拉列表选择", width=12)
UNIT_NAME = Column("unit_name", "单位名称", "info", required=False, help="仅供核对，不导入")

NE_INDUSTRIES = ("外卖配送", "快递", "网约车", "货车司机", "家政服务")
PLATFORMS = ("美团", "饿了么", "顺丰", "中通", "韵达", "京东", "苏宁易购", "滴滴", "曹操出行", "满帮", "其他")


def amount(value: float, unit: str) -> str:
    """A figure with its unit, thousands separated (两位小数 only when it has a fraction)."""
    return f"{value:,.0f}{unit}" if float(value).is_integer() else f"{value:,.2f}{unit}"


def not_future(ctx: Context, values: dict[str, Any], *keys: str) -> list[tuple[str | None, str]]:
    """A problem for each of the date `keys` that lies after the day of the upload."""
    return [(k, f"日期{values[k]}在未来（今天是{ctx.now.date()}）")
            for k in keys if values.get(k) is not None and values[k] > ctx.now.date()]
