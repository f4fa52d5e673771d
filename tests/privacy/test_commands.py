"""`backhaul privacy export|purposes|retention` as run from the command line."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from backhaul.customers.models import Account
from backhaul.privacy.management.commands.privacy import Command

pytestmark = pytest.mark.django_db


def run(*args: str) -> int:
    try:
        Command().run_from_argv(["backhaul", "privacy", *args])
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_export_writes_a_zip(demo: list[Account], tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "me.zip"
    assert run("export", "--account", demo[0].number, "--out", str(out)) == 0
    with zipfile.ZipFile(out) as archive:
        assert "account.json" in archive.namelist()
        assert "data/customers.json" in archive.namelist()
    assert f"for {demo[0].number}" in capsys.readouterr().out
    assert [p.name for p in tmp_path.iterdir()] == ["me.zip"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--account", "PB999999"], "unknown account 'PB999999'"),
        (["--account", "PB000001", "--out-dir"], None),
    ],
)
def test_export_of_an_unknown_account_writes_nothing(
    demo: list[Account],
    tmp_path: Path,
    capsys,
    args: list[str],
    message: str | None,  # type: ignore[no-untyped-def]
) -> None:
    out = tmp_path / "x.zip"
    code = run("export", *args, "--out", str(out))
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert captured.err.startswith("error: ")
    if message:
        assert captured.err == f"error: {message}\n"
    assert list(tmp_path.iterdir()) == []


def test_export_refuses_a_missing_directory(demo: list[Account], tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "nowhere" / "x.zip"
    assert run("export", "--account", demo[0].number, "--out", str(out)) == 2
    assert capsys.readouterr().err == f"error: --out: no such directory: {out.parent}\n"


def test_purposes_command_loads_both_brands(db: None, capsys) -> None:  # type: ignore[no-untyped-def]
    assert run("purposes", "--json") == 0
    out = capsys.readouterr().out
    assert '"plugin"' in out and '"plusnet-business"' in out
