"""Small builders for tests: a members config and grids without touching files."""

from __future__ import annotations

from weaver.config import MembersConfig, WeaverConfig, parse_config

HEADERS = ["姓名", "邮箱 ", "兴趣", "地区", "语言", "加入日期", "同意接收邮件", "会费", "备注"]


def config(**members: object) -> WeaverConfig:
    cols = {
        "name": "姓名",
        "email": "邮箱",
        "interests": "兴趣",
        "region": "地区",
        "language": "语言",
        "joined": "加入日期",
        "consent": "同意接收邮件",
        "fee": "会费",
    }
    data = {
        "network": {"default_language": "en"},
        "tables": {"backend": "workbook", "path": "x.xlsx"},
        "members": {"columns": cols, **members},
    }
    return parse_config(data)


def members_cfg() -> MembersConfig:
    return config().members


def grid(*rows: list[str], headers: list[str] | None = None) -> list[list[str]]:
    return [list(headers or HEADERS), *[list(r) for r in rows]]


def row(name: str = "", email: str = "", **kw: str) -> list[str]:
    values = {
        "interests": "",
        "region": "",
        "language": "",
        "joined": "",
        "consent": "",
        "fee": "",
        "notes": "",
    }
    values.update(kw)
    return [name, email, values["interests"], values["region"], values["language"], values["joined"],
            values["consent"], values["fee"], values["notes"]]  # fmt: skip
