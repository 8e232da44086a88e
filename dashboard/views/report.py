"""The reporting page's pure parts: who is acting (`Identity`) and the shaping of the importer's
frames into the tables the page shows. The reads and the actions are dashboard/data.py's
(batches, template, preview, commit, review, withdraw ...), which call data_access.importer /
templates, the same code path as the command line.
"""
from __future__ import annotations

import hashlib
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from data_access.accounts import auth
from data_access.present import fmt
from data_access.reporting import batches as batch_list
from data_access.reporting import preview as previewing
from data_access.reporting.kinds import KINDS
from data_access.schema.accounts import ROLE_ADMIN, ROLE_REPORTER
from data_access.accounts import permissions
from data_access.schema.models import BATCH_APPROVED, BATCH_PENDING, BATCH_RETURNED, BATCH_WITHDRAWN, MEASURE_REPORTED
from data_access.errors import DataAccessError

from dashboard.i18n import register, tr
from dashboard.ui.safe_text import md

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

register({
    "rep_title": ("数据填报与审核", "Reporting and review"),
    "rep_tab_template": ("下载模板", "Templates"),
    "rep_tab_upload": ("上传", "Upload"),
    "rep_tab_review": ("审核", "Review"),
    "rep_tab_mine": ("我的上报", "My submissions"),
    "rep_tab_history": ("数字历史", "History of a figure"),
    "rep_tab_status": ("上报情况", "Who reported when"),
    "rep_identity": ("演示身份（认证已关闭时可选）", "Act as (only while authentication is off)"),
    "rep_no_upload": ("当前账号（{role}）不能上传数据。", "Your account ({role}) may not upload figures."),
    "rep_actor": ("姓名", "Name"),
    "rep_scope": ("所属单位", "Your unit"),
    "rep_scope_city": ("市总工会（全部单位）", "City federation (all units)"),
    "rep_kind": ("报表类型", "Kind of report"),
    "rep_unit": ("单位", "Unit"),
    "rep_period_day": ("周期（该周任一天）", "Week (any day in it)"),
    "rep_period_month": ("月份", "Month"),
    "rep_download": ("下载模板", "Download template"),
    "rep_period_is": ("周期：{label}", "Period: {label}"),
    "rep_file": ("选择填好的 .xlsx 或 .csv 文件", "Choose the filled-in .xlsx or .csv file"),
    "rep_rejected": ("文件未导入：共{n}处问题，整个文件被拒收，未写入任何数据。", "Not imported: {n} problem(s); the whole file was refused and nothing was written."),
    "rep_counts": ("{title}：共{total}行，新增{new}，修改{changed}，无变化{unchanged}。", "{title}: {total} rows, {new} new, {changed} changed, {unchanged} unchanged."),
    "rep_auto_approve": ("市总上报，导入即通过审核", "City federation upload: approve on import"),
    "rep_confirm": ("确认导入", "Confirm import"),
    "rep_done": ("已导入：批次#{id}，状态：{status}。", "Imported: batch #{id}, status: {status}."),
    "rep_pending_head": ("待审核（{n}）", "Pending ({n})"),
    "rep_returned_head": ("已退回（{n}）", "Returned ({n})"),
    "rep_reason": ("退回原因", "Reason for returning"),
    "rep_approve": ("通过", "Approve"),
    "rep_return": ("退回", "Return"),
    "rep_original": ("下载原始文件", "Download the original file"),
    "rep_pick": ("审核批次", "Batch to review"),
    "rep_withdraw": ("撤回所选批次", "Withdraw the chosen batch"),
    "rep_withdraw_pick": ("批次", "Batch"),
    "rep_target": ("指标", "Target"),
    "rep_history_note": ("★ 为看板当前采用的版本；更正不会删除旧版本。", "★ marks the version the dashboards use; corrections never erase older versions."),
    "rep_status_note": ("截至{day}应已报到{due}这一周（每周六至周五，次周一前报送）；红色为逾期未报。", "By {day} every unit should have sent the week ending {due} (Saturday–Friday, due the following Monday); red rows are late."),
    "rep_late": ("逾期{n}周", "{n} week(s) late"),
    "rep_ok": ("按时", "On time"),
    "rep_error": ("操作失败：{msg}", "Failed: {msg}"),
    "rep_none": ("（无）", "(none)"),
    "rep_wd_request": ("撤回申请：{who}于{at}提出，原因：{reason}。批准后，本批次的数字从批准之日起不再计入看板；驳回则照常计入。",
                       "Withdrawal requested by {who} on {at}; reason: {reason}. Once approved, this batch's figures no longer count from that day on; refused, they count as before."),
    "rep_wd_approve": ("批准撤回", "Approve the withdrawal"),
    "rep_wd_refuse": ("驳回撤回申请", "Refuse the withdrawal"),
    "rep_wd_refuse_reason": ("驳回原因", "Reason for refusing"),
    "rep_wd_asked": ("#{id}：撤回申请已提交，须由另一位审核员批准；批准前数字照常计入。",
                     "#{id}: withdrawal requested; another reviewer must approve it, and until then the figures count."),
    "rep_wd_refused": ("#{id}：撤回申请已驳回，数字照常计入。", "#{id}: withdrawal refused; the figures count as before."),
})

STATUS_EN = {"pending": "Pending", "approved": "Approved", "returned": "Returned", "withdrawn": "Withdrawn",
             batch_list.WITHDRAW_REQUESTED: "Withdrawal requested", None: "Loaded directly"}
ACTION_EN = {"new": "New", "changed": "Changed", "unchanged": "Unchanged"}


def status_label(status: Any, lang: str) -> str:
    status = status if isinstance(status, str) else None
    return STATUS_EN.get(status, str(status)) if lang == "en" else batch_list.STATUS_ZH.get(status, str(status))


def kind_label(kind: str, lang: str) -> str:
    report = KINDS.get(kind)
    return kind if report is None else (report.title_en or kind) if lang == "en" else report.title


def kind_namer(lang: str) -> Callable[[str], str]:
    return lambda kind: kind_label(kind, lang)


def fit(table: pd.DataFrame, max_rows: int | None = None) -> int:
    """A dataframe height in pixels that shows every row (or `max_rows` of them) without scrolling."""
    rows = len(table) if max_rows is None else min(len(table), max_rows)
    return 36 * (rows + 1) + 4


def _headers(lang: str, pairs: dict[str, tuple[str, str]]) -> dict[str, str]:
    return {k: (en if lang == "en" else zh) for k, (zh, en) in pairs.items()}


# ---------------------------------------------------------------------------------------------
# who is acting


@dataclass(frozen=True)
class Identity:
    actor: str
    scope: tuple[str, ...] | None  # units the user may upload and withdraw for; None: any unit
    can_review: bool
    role: str = ""
    user: auth.AuthUser | None = None  # the signed-in user; None: an identity chosen while auth is off

    def as_user(self) -> auth.AuthUser:
        """The user the data layer checks (with authentication off: an administrator, or a county
        reporter of the chosen unit)."""
        if self.user is not None:
            return self.user
        if self.scope:
            return auth.AuthUser(self.actor, self.actor, ROLE_REPORTER, unit_code=self.scope[0])
        return auth.AuthUser(self.actor, self.actor, ROLE_ADMIN)

    @property
    def can_upload(self) -> bool:
        return self.scope is None or bool(self.scope)

    @property
    def can_auto_approve(self) -> bool:
        """Whether the upload tab offers "approve on import": a city-wide reviewer, and only where one
        person may approve their own upload (KPI_ALLOW_SELF_APPROVAL; the data layer refuses it
        otherwise, reporting.commit)."""
        return self.can_review and self.scope is None and permissions.may_approve_own()


def identity_from(user: auth.AuthUser | None) -> Identity:
    """The signed-in user's rights on this page, from data_access.auth (the same rules the command
    line's operators follow by hand)."""
    if user is None:
        return Identity("", (), False)
    try:
        auth.require_review(user)
        review = True
    except DataAccessError:
        review = False
    return Identity(user.username, auth.writable_units(user), review, user.role_zh, user)


# ---------------------------------------------------------------------------------------------
# pure shaping


def changes_table(pv: previewing.Preview, lang: str) -> pd.DataFrame:
    df = previewing.changes_frame(pv)
    df["action"] = df["action"].map(ACTION_EN if lang == "en" else previewing.ACTION_ZH)
    return df.rename(columns=_headers(lang, {
        "line": ("行", "Row"), "action": ("变动", "Change"), "unit_code": ("单位", "Unit"),
        "item": ("项目", "Item"), "period": ("周期", "Period"), "old": ("原值", "Stored"),
        "new": ("新值", "New"), "pending_elsewhere": ("其他待审批次", "Other pending batches"),
        "note": ("备注", "Note")}))


def batch_label(row: Any, unit_names: dict[str, str], lang: str, markdown: bool = True) -> str:
    unit = unit_names.get(row.unit_code, row.unit_code) if isinstance(row.unit_code, str) else (
        "Several units" if lang == "en" else "多个单位")
    # File and uploader names are the user's: escaped where the label renders markdown (an expander);
    # a select box shows its options as plain text.
    esc = md if markdown else str
    return (f"#{row.id} · {kind_label(row.kind, lang)} · {unit} · {esc(row.file_name)} · {esc(row.uploaded_by)} · "
            f"{pd.Timestamp(row.uploaded_at):%Y-%m-%d %H:%M} · {status_label(row.status, lang)}")


def batch_table(df: pd.DataFrame, unit_names: dict[str, str], lang: str) -> pd.DataFrame:
    out = df.assign(
        kind=df["kind"].map(lambda k: kind_label(k, lang)),
        unit_code=df["unit_code"].map(lambda u: unit_names.get(u, u) if isinstance(u, str) else "—"),
        status=df["status"].map(lambda s: status_label(s, lang)))
    cols = _headers(lang, {"id": ("批次", "Batch"), "kind": ("类型", "Kind"), "unit_code": ("单位", "Unit"),
                           "file_name": ("文件", "File"), "uploaded_at": ("上传时间", "Uploaded"),
                           "row_count": ("行数", "Rows"), "status": ("状态", "Status"),
                           "review_note": ("审核意见", "Reviewer's note")})
    return out[list(cols)].rename(columns=cols)


def shown_value(value: Any, measure_unit: str, lang: str) -> str:
    """A figure of the review tab as people read it: 6场次, 1.5万人 (data_access.present.fmt; two
    decimals when it has any), a registry's 列名=值 text as it is, and nothing (None, NaN, "") as
    （无） / (none), never "None"."""
    if value is None or (isinstance(value, numbers.Real) and value != value) or value == "":
        return tr("rep_none", lang)
    if isinstance(value, numbers.Real) and not isinstance(value, bool):  # numpy's too
        return fmt.number(float(value), measure_unit, lang, digits=0 if float(value).is_integer() else 2)
    return str(value)


def rows_table(df: pd.DataFrame, unit_names: dict[str, str], lang: str) -> pd.DataFrame:
    """What a batch brings, for its reviewer (`df`: reporting.review.batch_rows): the target's code
    and name (T01 群众性文化活动), the unit's name, the week, the old and new figure with their
    unit ((无) when there was none), the change and the clerk's 备注."""
    name = df["item_en" if lang == "en" else "item_zh"].fillna("")
    out = pd.DataFrame({
        "item": [f"{code} {n}".strip() for code, n in zip(df["item"], name)],
        "unit": df["unit_code"].map(lambda u: unit_names.get(u, u)),
        "period": df["period"],
        "old": [shown_value(v, u, lang) for v, u in zip(df["old"], df["measure_unit"])],
        "new": [shown_value(v, u, lang) for v, u in zip(df["new"], df["measure_unit"])],
        "action": df["action"].map(ACTION_EN if lang == "en" else previewing.ACTION_ZH),
        "note": df["note"].map(lambda n: n if isinstance(n, str) else ""),
    })
    return out.rename(columns=_headers(lang, {
        "item": ("项目", "Item"), "unit": ("单位", "Unit"), "period": ("周期", "Period"),
        "old": ("原值", "Before"), "new": ("新值", "New"), "action": ("变动", "Change"),
        "note": ("备注", "Note")}))


@dataclass(frozen=True)
class ReviewChoice:
    """What the review tab offers for one waiting batch: an upload to approve or return, or a
    withdrawal to approve or refuse. `notice`: the withdrawal request in words (markdown-safe)."""

    withdrawal: bool
    notice: str | None
    approve_label: str
    return_label: str
    reason_label: str
    approved_message: str
    returned_message: str


def review_choice(row: Any, lang: str) -> ReviewChoice:
    """The buttons and messages for batch `row` (a row of reporting.batches.batches)."""
    bid = int(row.id)
    if row.status != batch_list.WITHDRAW_REQUESTED:
        return ReviewChoice(False, None, tr("rep_approve", lang), tr("rep_return", lang), tr("rep_reason", lang),
                            f"#{bid}：{status_label(BATCH_APPROVED, lang)}",
                            f"#{bid}：{status_label(BATCH_RETURNED, lang)}")
    at = pd.Timestamp(row.withdraw_requested_at)
    reason = row.withdraw_reason if isinstance(row.withdraw_reason, str) and row.withdraw_reason else "—"
    notice = tr("rep_wd_request", lang, who=md(row.withdraw_requested_by),
                at=f"{fmt.date(at.date(), lang)} {at:%H:%M}", reason=md(reason))
    return ReviewChoice(True, notice, tr("rep_wd_approve", lang), tr("rep_wd_refuse", lang),
                        tr("rep_wd_refuse_reason", lang), f"#{bid}：{status_label(BATCH_WITHDRAWN, lang)}",
                        tr("rep_wd_refused", lang, id=bid))


def withdrawable(mine: pd.DataFrame) -> list[int]:
    """The batches of "my submissions" one may still withdraw or ask to: not withdrawn, no request waiting."""
    return [int(i) for i in mine.loc[~mine["status"].isin([BATCH_WITHDRAWN, batch_list.WITHDRAW_REQUESTED]), "id"]]


def withdraw_message(mine: pd.DataFrame, batch_id: int, lang: str) -> str:
    """What the page says after withdrawing `batch_id`: an approved batch becomes a request
    (reporting.review.withdraw), any other is withdrawn at once."""
    status = mine.set_index("id").loc[batch_id, "status"]
    if status == BATCH_APPROVED:
        return tr("rep_wd_asked", lang, id=batch_id)
    return f"#{batch_id}：{status_label(BATCH_WITHDRAWN, lang)}"


def history_table(df: pd.DataFrame, unit_zh: str, lang: str) -> pd.DataFrame:
    """Latest week first; within a week, its versions oldest first."""
    df = df.sort_values(["period_end", "recorded_at"], ascending=[False, True], kind="stable")
    out = pd.DataFrame({
        "in_force": df["in_force"].map({True: "★", False: ""}),
        "period": [f"{a:%m-%d}~{b:%m-%d}" for a, b in zip(df["period_start"], df["period_end"])],
        "value": df["value"].map(lambda x: fmt.number(x, unit_zh, lang)),
        "recorded_at": df["recorded_at"].map(lambda x: f"{pd.Timestamp(x):%Y-%m-%d %H:%M}"),
        "reporter": df["reporter"],
        "batch": df["batch_id"].map(lambda b: "" if pd.isna(b) else f"#{int(b)}"),
        "status": df["status"].map(lambda s: status_label(s, lang)),
        "note": df["note"].fillna(""),
    })
    return out.rename(columns=_headers(lang, {
        "in_force": ("现行", "In use"), "period": ("周期", "Week"), "value": ("数值", "Value"),
        "recorded_at": ("上报时间", "Recorded"), "reporter": ("填报人", "Reporter"), "batch": ("批次", "Batch"),
        "status": ("状态", "Status"), "note": ("备注", "Note")}))


def status_table(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """One row per unit; `late` stays as a boolean column for the highlighting."""
    out = pd.DataFrame({
        "unit": df["name_en" if lang == "en" else "name_zh"],
        "last_period_end": df["last_period_end"].map(lambda d: fmt.date(d, lang)),
        "last_upload_at": df["last_upload_at"].map(
            lambda x: "—" if pd.isna(x) else f"{pd.Timestamp(x):%Y-%m-%d %H:%M}"),
        "pending": df["pending"], "returned": df["returned"],
        "state": [tr("rep_late", lang, n=n) if late else tr("rep_ok", lang)
                  for late, n in zip(df["late"], df["weeks_behind"])],
        "late": df["late"].astype(bool),
    })
    return out.rename(columns=_headers(lang, {
        "unit": ("单位", "Unit"), "last_period_end": ("最近上报周期截至", "Latest week sent"),
        "last_upload_at": ("最近上传", "Latest upload"), "pending": ("待审核", "Pending"),
        "returned": ("已退回", "Returned"), "state": ("状态", "State")}))


def highlight_late(table: pd.DataFrame) -> Any:
    """A Styler that paints late units' rows red (the words in 状态 say it too, for colour-blind
    readers and printouts). Show it without the helper column `late`."""
    return table.style.apply(
        lambda row: ["background-color: #ffd7d5; color: #82071e" if row["late"] else "" for _ in row], axis=1)


# ---------------------------------------------------------------------------------------------
# the page's choices


def demo_identity(actor: str, scope_code: str) -> Identity:
    """Whom the page acts as while authentication is off (the sample quick start): the city
    federation (any unit, may review) when no unit is chosen, else that unit's reporter."""
    return Identity(actor.strip() or DEMO_ACTOR, (scope_code,) if scope_code else None, not scope_code)


DEMO_ACTOR = "市总工会"


def unit_names(units: pd.DataFrame, lang: str) -> dict[str, str]:
    """Unit code -> name in the page's language (`units`: data.units())."""
    return dict(zip(units["code"], units["name_en" if lang == "en" else "name_zh"]))


def year_bounds(plan_years: pd.DataFrame, year: int) -> tuple[Any, Any]:
    """(start_date, end_date) of plan year `year` (`plan_years`: data.plan_years())."""
    start, end = plan_years.set_index("year").loc[year, ["start_date", "end_date"]]
    return start, end


def reported_targets(targets: pd.DataFrame) -> pd.DataFrame:
    """The targets counted from the weekly reports (MEASURE_REPORTED), indexed by target_code:
    the ones whose history of figures the page can show."""
    return targets[targets["measure"] == MEASURE_REPORTED].set_index("target_code")


WAITING = (BATCH_PENDING, batch_list.WITHDRAW_REQUESTED, BATCH_RETURNED)
"""The batch states the review tab lists: waiting for a reviewer (an upload, or the withdrawal of
an approved batch), or sent back to the county."""


def split_waiting(batches: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(waiting for a reviewer: pending uploads and withdrawal requests, returned) rows of the review
    tab's batches (columns of reporting.batches.batches)."""
    waiting = batches["status"].isin([BATCH_PENDING, batch_list.WITHDRAW_REQUESTED])
    return batches[waiting], batches[batches["status"] == BATCH_RETURNED]


def history_units(scope: tuple[str, ...] | None, all_codes: list[str],
                  counties: tuple[str, ...]) -> tuple[list[str], int]:
    """(the units whose history one may pick, the index preselected): the user's own units, or
    every unit; the first county of the shared filter when it is one of them."""
    choices = list(scope or all_codes)
    first = counties[0] if counties and counties[0] in choices else choices[0]
    return choices, choices.index(first)


def content_sha(content: bytes) -> str:
    """The uploaded file's SHA-256: the page remembers the last imported one, so that the same file
    still in the uploader after the rerun is not previewed again."""
    return hashlib.sha256(content).hexdigest()
