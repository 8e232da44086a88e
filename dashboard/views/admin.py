"""The administration page's pure parts: the column titles of its grids and the audit log as people
read it (who did what to which object, and the change as a list 'field: old → new'), in Chinese or
English. No streamlit here; dashboard/ui/admin.py draws them."""
from __future__ import annotations

import json
from typing import Any

import pandas as pd

from data_access.plan import curves
from data_access.plan.edits import MILESTONE_STATUS_ZH
from data_access.present import fmt
from data_access.schema.models import (
    MEASURE_CARE_STATIONS,
    MEASURE_CHILDCARE,
    MEASURE_NE_MEMBERS,
    MEASURE_REPORTED,
    MEASURE_UNION_ORGS,
)

# (zh, en) titles of the plan editors' and the account list's columns, by the stored column name.
COLUMNS: dict[str, tuple[str, str]] = {
    "code": ("代码", "Code"), "project_code": ("项目", "Project"), "measure": ("统计口径", "Measure"),
    "parent_code": ("上级目标", "Parent target"), "name_zh": ("名称（中文）", "Name (Chinese)"),
    "name_en": ("名称（英文）", "Name (English)"), "unit_zh": ("计量单位（中文）", "Unit (Chinese)"),
    "unit_en": ("计量单位（英文）", "Unit (English)"), "value": ("目标值", "Target value"),
    "note_zh": ("备注", "Note"), "unit_code": ("单位代码", "Unit code"), "unit_name": ("单位", "Unit"),
    "due_date": ("计划完成日期", "Due date"), "status": ("状态", "Status"), "done_on": ("完成日期", "Done on"),
    "username": ("用户名", "User name"), "display_name": ("姓名", "Name"), "role": ("角色", "Role"),
    "view_scope": ("可查看范围", "May view"), "active": ("启用", "Active"), "year": ("年度", "Year"),
    "title_zh": ("标题", "Title"), "state": ("状态", "State"), "note": ("内容", "Note"),
    "owner": ("责任人", "Owner"), "comment": ("说明", "Comment"), "target_code": ("目标", "Target"),
    "meeting_date": ("会议日期", "Meeting date"), "created_by": ("记录人", "Recorded by"),
    "must_change_password": ("待改密码", "Must change password"),
    "last_login_at": ("最近登录", "Last sign-in"), "allocation": ("分配任务", "Allocation"),
    "password": ("密码", "Password"),
    "pace_curve": ("计划曲线", "Plan curve"), "retired": ("已停用", "Retired"), "sort_order": ("排序", "Order"),
    "total": ("合计（%）", "Total (%)"), "target": ("目标值", "Target value"), "allocated": ("分配合计", "Allocated"),
    "difference": ("差额（分配−目标）", "Difference (allocated − target)"),
    "missing_units": ("未分配单位", "Units without a share"), "name": ("名称", "Name"),
    **{c: (curves.month_name(i) + "（%）", curves.month_name(i, "en") + " (%)")
       for i, c in enumerate(curves.MONTH_COLUMNS, start=1)},
}

# How a target's progress is counted (schema.models.MEASURES), as the add-target form offers it.
MEASURE_WORDS: dict[str, tuple[str, str]] = {
    MEASURE_REPORTED: ("区县每周填报", "Reported weekly by the units"),
    MEASURE_CARE_STATIONS: ("爱心驿站台账（新建）", "Care-station registry (new)"),
    MEASURE_CHILDCARE: ("爱心托管班台账（新建）", "Childcare-class registry (new)"),
    MEASURE_UNION_ORGS: ("基层工会台账（新建）", "Grassroots-union registry (new)"),
    MEASURE_NE_MEMBERS: ("新业态会员月报", "New-economy membership (monthly)"),
}

# Words the data layer records as values (accounts/users.py marks a reset password so).
RECORDED_WORDS: dict[str, tuple[str, str]] = {"（已重置）": ("（已重置）", "(reset)")}

# The audit log's columns as shown (the stored `before` and `after` become one change list).
AUDIT_COLUMNS: dict[str, tuple[str, str]] = {
    "id": ("序号", "No."), "at": ("时间", "Time"), "actor": ("操作人", "By"), "action": ("操作", "Action"),
    "entity": ("对象", "Object"), "entity_id": ("对象编号", "Object id"), "change": ("变更内容", "Change"),
}

ACTIONS: dict[str, tuple[str, str]] = {
    "create": ("新建", "Created"), "update": ("修改", "Changed"), "delete": ("删除", "Deleted"),
    "append": ("新增", "Added"), "import": ("导入", "Imported"), "approve": ("审核通过", "Approved"),
    "return": ("退回", "Returned"), "withdraw": ("撤回", "Withdrawn"), "revert": ("恢复", "Restored"),
    "state": ("状态变更", "State changed"), "copy_year": ("复制年度", "Year copied"),
    "reset_password": ("重置密码", "Password reset"), "change_password": ("修改密码", "Password changed"),
    "disable": ("停用", "Disabled"), "enable": ("启用", "Enabled"),
    "retire": ("移出计划", "Retired"), "restore": ("恢复到计划", "Back in the plan"),
    "withdraw_request": ("申请撤回", "Withdrawal requested"), "withdraw_refused": ("驳回撤回申请", "Withdrawal refused"),
}

ENTITIES: dict[str, tuple[str, str]] = {
    "users": ("账号", "Accounts"), "targets": ("目标", "Targets"), "allocations": ("区县分配", "Allocations"),
    "milestones": ("里程碑", "Milestones"), "plan_years": ("计划年度", "Plan years"), "projects": ("项目", "Projects"),
    "import_batches": ("填报批次", "Report batches"), "decision": ("督办事项", "Decisions"),
}

EMPTY = ("（空）", "(empty)")
YES_NO = (("是", "yes"), ("否", "no"))


def _word(table: dict[str, tuple[str, str]], key: Any, lang: str) -> str:
    """The (zh, en) word of `key` in `table`; the key itself when the table does not know it."""
    if not isinstance(key, str):
        return ""
    pair = table.get(key)
    return (pair[1] if lang == "en" else pair[0]) if pair else key


def column_title(name: str, lang: str) -> str:
    return _word(COLUMNS, name, lang)


def column_titles(names: Any, lang: str) -> dict[str, str]:
    """{stored column name: its title} for a grid's column_config."""
    return {str(n): column_title(str(n), lang) for n in names}


def action_word(action: Any, lang: str) -> str:
    return _word(ACTIONS, action, lang)


def entity_word(entity: Any, lang: str) -> str:
    return _word(ENTITIES, entity, lang)


def measure_word(measure: Any, lang: str) -> str:
    """'区县每周填报' / 'Reported weekly by the units' for a measure code."""
    return _word(MEASURE_WORDS, measure, lang)


def curve_text(curve: Any, lang: str) -> str:
    """A stored plan curve (cumulative) as its monthly shares: '10%、10%、…、5%'; none: even pace."""
    shares = curves.shares_from_curve(curve) if isinstance(curve, list) else None
    if shares is None:
        return "按天均匀" if lang != "en" else "even over the year"
    return ("、" if lang != "en" else ", ").join(f"{curves.share_text(x)}%" for x in shares)


def gap_table(gaps: pd.DataFrame, targets: pd.DataFrame, unit_names: dict[str, str], lang: str) -> pd.DataFrame:
    """`plan.allocation_check.allocation_gaps` as the page shows it before saving: per target its
    code and name, the target value, the sum of the units' allocations and the difference
    (allocated − target, signed) with the target's unit (万 for 人 and 元), and the units that
    should have a share but have none, by name ('—' when none is missing). `targets`: columns code,
    name_zh, name_en, unit_zh (e.g. `edits.targets_for_edit`)."""
    info = targets.set_index("code")
    name_col = "name_en" if lang == "en" else "name_zh"
    sep = ", " if lang == "en" else "、"
    rows = []
    for g in gaps.to_dict("records"):
        code = g["target_code"]
        unit = str(info.at[code, "unit_zh"]) if code in info.index else ""
        rows.append({
            column_title("target_code", lang): code,
            column_title("name", lang): str(info.at[code, name_col]) if code in info.index else "",
            column_title("target", lang): fmt.number(g["target"], unit, lang, digits=_digits(g["target"])),
            column_title("allocated", lang): fmt.number(g["allocated"], unit, lang, digits=_digits(g["allocated"])),
            column_title("difference", lang): fmt.signed(g["difference"], unit, lang),
            column_title("missing_units", lang): sep.join(unit_names.get(u, u) for u in g["missing_units"]) or "—",
        })
    names = ["target_code", "name", "target", "allocated", "difference", "missing_units"]
    return pd.DataFrame(rows, columns=[column_title(n, lang) for n in names])


def _digits(value: float) -> int:
    """Decimals to show an amount without hiding a fraction (0 for whole numbers, else 2)."""
    return 0 if float(value).is_integer() else 2


def milestone_status_word(status: Any, lang: str) -> str:
    """'已完成' / 'done' for a milestone status code."""
    if not isinstance(status, str):
        return ""
    return status.replace("_", " ") if lang == "en" else MILESTONE_STATUS_ZH.get(status, status)


def _value(v: Any, lang: str) -> str:
    """One recorded value as text: '（空）' for none, 是/否 for a flag, numbers without a spurious '.0'."""
    i = 1 if lang == "en" else 0
    if v is None or v == "":
        return EMPTY[i]
    if isinstance(v, bool):
        return YES_NO[0][i] if v else YES_NO[1][i]
    if isinstance(v, float) and v.is_integer():
        return f"{int(v):,}"
    if isinstance(v, (int, float)):
        return f"{v:,}"
    return _word(RECORDED_WORDS, str(v), lang)


def _state(text: Any) -> dict[str, Any] | None:
    """A before/after JSON text as a dict (None for none); a value that is not an object is kept
    under an empty key."""
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return {"": text}
    return value if isinstance(value, dict) else {"": value}


def change_list(before: Any, after: Any, lang: str) -> str:
    """The change of one audit entry, field by field: '目标值：100 → 120；备注：（空） → 新备注'; a field
    only after (a new object): '目标值：120'; only before (a removed one): '目标值：100 →（空）'."""
    old, new = _state(before), _state(after)
    sep = "; " if lang == "en" else "；"
    colon = ": " if lang == "en" else "："
    parts = []
    def value(key: str, v: Any) -> str:
        return curve_text(v, lang) if key == "pace_curve" else _value(v, lang)

    for key in sorted(set(old or {}) | set(new or {})):
        label = column_title(key, lang) if key else ""
        head = f"{label}{colon}" if label else ""
        if old is None:
            parts.append(f"{head}{value(key, new[key])}")  # type: ignore[index]
            continue
        a = value(key, old.get(key))
        b = value(key, (new or {}).get(key))
        if a != b:
            parts.append(f"{head}{a} → {b}")
    return sep.join(parts)


def audit_table(entries: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The audit log as shown and downloaded: titled columns in `lang`, action and object in words,
    the time to the second, before/after as one readable change list."""
    def title(key: str) -> str:
        return _word(AUDIT_COLUMNS, key, lang)

    at = pd.to_datetime(entries["at"], errors="coerce")
    return pd.DataFrame({
        title("id"): entries["id"].astype("int64"),
        title("at"): [d.strftime("%Y-%m-%d %H:%M:%S") if not pd.isna(d) else "" for d in at],
        title("actor"): entries["actor"].fillna(""),
        title("action"): [action_word(a, lang) for a in entries["action"]],
        title("entity"): [entity_word(e, lang) for e in entries["entity"]],
        title("entity_id"): entries["entity_id"].fillna(""),
        title("change"): [change_list(b, a, lang) for b, a in zip(entries["before"], entries["after"])],
    })
