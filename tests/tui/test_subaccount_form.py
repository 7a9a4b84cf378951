"""A new sub-account is checked against the platform's rules (§11.1) before anything is asked
to be confirmed, in one place for the CLI and the TUI; a refusal from the platform gives the
form back filled, password included, saying why."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from clirun import account_env, run
from scenes import accounts_app, settle
from textual.widgets import Input, Static

from fivec_tui.api.errors import UsernameExists
from fivec_tui.api.subaccounts import name_problems, password_problems
from fivec_tui.app.subaccounts import Form


@pytest.mark.parametrize(
    ("child", "mobile", "company", "said"),
    [
        ("ops", "13800138000", "", "the name is 3 characters: it needs 6 to 15"),
        ("ops-team", "13800138000", "", "the name may hold letters and digits only"),
        ("a" * 16, "13800138000", "", "the name is 16 characters"),
        ("opsteam", "1380013", "", "the contact mobile is 11 to 15 digits"),
        ("opsteam", "13800138000", "公" * 21, "the company name is 21 characters: at most 20"),
    ],
)
def test_what_the_platform_would_refuse_is_said_first(child, mobile, company, said):
    assert said in "; ".join(name_problems(child, mobile, company))


def test_a_good_sub_account_has_no_problem():
    assert name_problems("opsteam01", "13800138000", "美联软通") == []
    assert password_problems("S3cretPass9") == []
    assert password_problems("short") and password_problems("has space1")


@dataclass
class Done:
    message: str


class Refusing:
    """The platform: refuses the first creation (the name is taken), accepts the next."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    async def user_create(self, child, password, contact_mobile, company=""):
        self.calls.append((child, password, contact_mobile, company))
        if len(self.calls) == 1:
            raise UsernameExists()
        return Done("success:User added successfully")


def form_values(app) -> dict[str, str]:
    return {i.id.removeprefix("form-"): i.value for i in app.screen.query(Input)}


async def ok(pilot) -> None:
    """Enter on the form's last field: its OK."""
    pilot.app.screen.query_one("#form-company", Input).focus()
    await pilot.press("enter")
    await settle(pilot)


async def test_the_form_is_checked_then_given_back_after_a_refusal(tmp_path):
    app = accounts_app(tmp_path)
    client = Refusing()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        app.client = client
        await pilot.press("u", "n")
        await settle(pilot)
        typed = {"child": "ops", "password": "S3cret!", "mobile": "13800138000", "company": ""}
        for name, value in typed.items():
            app.screen.query_one(f"#form-{name}", Input).value = value
        await ok(pilot)
        assert isinstance(app.screen, Form)  # not confirmed: said, kept
        note = str(app.screen.query_one("#form-note", Static).render())
        assert "the name is 3 characters" in note and "the password may hold" in note
        assert "S3cret!" not in note and form_values(app) == typed
        app.screen.query_one("#form-child", Input).value = "opsteam"
        app.screen.query_one("#form-password", Input).value = "S3cretPass9"
        await ok(pilot)
        await pilot.press("y")  # confirmed; the platform says the name is taken
        await settle(pilot)
        assert client.calls == [("opsteam", "S3cretPass9", "13800138000", "")]
        assert isinstance(app.screen, Form)
        assert form_values(app) == {**typed, "child": "opsteam", "password": "S3cretPass9"}
        assert "Username already exists" in str(app.screen.query_one("#form-note").render())
        app.screen.query_one("#form-child", Input).value = "opsteam2"
        await ok(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert client.calls[-1] == ("opsteam2", "S3cretPass9", "13800138000", "")
        assert not isinstance(app.screen, Form)


@pytest.fixture
def env(sim_thread, tmp_path):
    return account_env(sim_thread, tmp_path)


def test_the_cli_checks_the_same_rules_before_asking_for_the_password(env, sim_thread):
    args = ("subaccounts", "create", "ops", "--contact-mobile", "13800138000", "--password-stdin")
    code, _out, err = run(env, *args)
    assert code == 2 and "the name is 3 characters: it needs 6 to 15" in err
    assert sim_thread.server.requests.get("user", 0) == 0


async def test_a_charge_that_is_not_a_whole_number_keeps_its_form(tmp_path):
    app = accounts_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        app.client = Refusing()
        await pilot.press("u", "down", "c")
        await settle(pilot)
        amount = app.screen.query_one("#form-amount", Input)
        amount.value = "--5"
        amount.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, Form) and amount.value == "--5"
        assert "whole number" in str(app.screen.query_one("#form-note", Static).render())
