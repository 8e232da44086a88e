"""One audit writer (data_access.audit.record) for accounts, plan edits and 督办 decisions: one entry
per change, one JSON format (sorted keys, ISO dates, the user name as actor), never a password hash;
and account management refused to anyone but 管理员."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from data_access import audit, clock
from data_access.accounts import users
from data_access.accounts.identity import AuthUser
from data_access.accounts.permissions import PermissionDenied
from data_access.meeting import decisions
from data_access.plan import allocations, edits
from data_access.schema.accounts import User
from data_access.schema.models import AuditLog
from tests.tiny_data import A, B

ROOT = AuthUser("root", "系统管理员", "admin")
AT = dt.datetime(2023, 6, 30, 18, 0)
PW = "Xk9-pass-word"


def _log(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(AuditLog.actor, AuditLog.action, AuditLog.entity,
                                                      AuditLog.entity_id, AuditLog.before, AuditLog.after,
                                                      AuditLog.at).order_by(AuditLog.id))]


def test_every_writer_uses_one_format(tiny):
    with clock.frozen(AT):
        users.create_user(tiny, ROOT, "lu", "区县填报员", unit_code=B, display_name="鲁山县", password=PW)
        edits.update_milestone(tiny, ROOT, 2023, "M1", done_on="2023-05-29")
        allocations.set_allocation(tiny, ROOT, 2023, "T01", A, 61)
        did = decisions.create_decision(tiny, ROOT, year=2023, meeting_date=dt.date(2023, 6, 30), note="补报",
                                        owner="鲁山县总工会", due_date=dt.date(2023, 7, 7), unit_code=B)
    log = _log(tiny)
    assert [r[:4] for r in log] == [("root", "create", "users", "lu"), ("root", "update", "milestones", "2023/M1"),
                                    ("root", "update", "allocations", f"2023/T01/{A}"),
                                    ("root", "create", "decision", str(did))]
    assert {r[6] for r in log} == {AT}  # the organisation's clock, one moment
    assert log[1][4:6] == ('{"done_on": "2023-05-28"}', '{"done_on": "2023-05-29"}')
    assert log[2][4:6] == ('{"value": 60.0}', '{"value": 61.0}')
    after = json.loads(log[3][5])
    assert (after["meeting_date"], after["due_date"], after["created_at"]) == ("2023-06-30", "2023-07-07",
                                                                               "2023-06-30T18:00:00")
    for r in log:  # sorted keys, ensure_ascii off: the same text audit.dumps makes
        for text in r[4:6]:
            assert text is None or text == audit.dumps(json.loads(text))
    assert "系统管理员" not in {r[0] for r in log}  # the user name, never the display name


def test_account_entries_never_hold_a_password_hash(tiny):
    users.create_user(tiny, ROOT, "lu", "区县填报员", unit_code=B, password=PW)
    generated = users.reset_password(tiny, ROOT, "lu")
    user = users.load_user(tiny, "lu")
    users.change_password(tiny, user, generated, "Kq7!another-one")
    with tiny.connect() as conn:
        stored_hash = conn.execute(select(User.password_hash).where(User.username == "lu")).scalar_one()
    log = _log(tiny)
    assert [r[:2] for r in log] == [("root", "create"), ("root", "reset_password"), ("lu", "change_password")]
    text = json.dumps(log, default=str)
    for secret in (PW, generated, "Kq7!another-one", stored_hash, "$argon2"):
        assert secret not in text
    assert json.loads(log[1][5]) == {"must_change_password": True, "password": "（已重置）"}


@pytest.mark.parametrize("role", ["leader", "reporter", "reviewer"])
def test_only_administrators_manage_accounts(tiny, role):
    users.create_user(tiny, ROOT, "lu", "区县填报员", unit_code=B, password=PW)
    user = AuthUser("x", "x", role, unit_code=A)
    calls = [lambda: users.create_user(tiny, user, "y", "领导", password=PW),
             lambda: users.update_user(tiny, user, "lu", active=False),
             lambda: users.reset_password(tiny, user, "lu")]
    for call in calls:
        with pytest.raises(PermissionDenied, match="需要：管理员"):
            call()
    assert users.load_user(tiny, "lu").role == "reporter"
    assert len(_log(tiny)) == 1  # only ROOT's creation


def test_audit_actor_rule_lives_in_audit():
    assert audit.actor_name(AuthUser("wang", "王主席", "leader")) == "wang"
    assert audit.actor_name("cli:ops") == "cli:ops"


def test_no_import_circle_between_plan_and_accounts():
    import ast
    import pathlib

    root = pathlib.Path(__file__).resolve().parent.parent / "data_access"
    for folder in ("accounts", "plan"):
        for path in (root / folder).glob("*.py"):
            names = {n.module for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.ImportFrom)}
            other = "plan" if folder == "accounts" else "accounts.auth"
            assert not any(str(m).startswith(f"data_access.{other}") for m in names), path
