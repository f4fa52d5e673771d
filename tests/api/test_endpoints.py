"""Every endpoint answers with the caller's own data, paginated and filterable."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api, World

pytestmark = pytest.mark.django_db


def test_health_and_openapi_need_no_token(anonymous: Api) -> None:
    assert anonymous.get("/health").json() == {"status": "ok"}
    paths = anonymous.get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/accounts",
        "/api/v1/subscriptions",
        "/api/v1/invoices/{number}/pdf",
        "/api/v1/payments",
        "/api/v1/accounts/{number}/usage",
        "/api/v1/tickets",
        "/api/v1/abuse/reports",
    ):
        assert path in paths
    assert anonymous.client.get("/api/v1/docs").status_code == 200


def test_accounts(as_mine: Api, as_staff: Api, world: World) -> None:
    page = as_mine.get("/accounts").json()
    assert page["count"] == 1
    assert page["items"][0]["number"] == world.mine.number
    assert page["items"][0]["brand"] == "plusnet-business"
    assert as_mine.get(f"/accounts/{world.mine.number}").json()["name"] == "Penrose Print Ltd"
    staff_page = as_staff.get("/accounts", name="quarry").json()
    assert [a["number"] for a in staff_page["items"]] == [world.theirs.number]


def test_pagination(as_staff: Api, world: World) -> None:
    first = as_staff.get("/accounts", limit=1, offset=0).json()
    second = as_staff.get("/accounts", limit=1, offset=1).json()
    assert first["count"] == second["count"] >= 2
    assert len(first["items"]) == len(second["items"]) == 1
    assert first["items"][0]["number"] != second["items"][0]["number"]


@pytest.mark.parametrize("path", ["/accounts", "/subscriptions", "/tickets", "/invoices"])
def test_pagination_refuses_offsets_the_database_cannot_take(as_staff: Api, path: str) -> None:
    too_far = as_staff.get(path, offset=2**31)
    assert too_far.status_code == 422
    assert as_staff.get(path, offset=2**31 - 1).json()["items"] == []


def test_subscriptions_and_exit_quote(as_mine: Api, world: World) -> None:
    items = as_mine.get("/subscriptions").json()["items"]
    assert {s["account"] for s in items} == {world.mine.number}
    line = next(s for s in items if s["product"] == "mps-option-1")
    assert line["term_months"] == 24
    assert as_mine.get("/subscriptions", product="no-such").json()["count"] == 0
    detail = as_mine.get(f"/subscriptions/{line['id']}").json()
    assert detail["market"] == "1-2"
    quote = as_mine.get(f"/subscriptions/{line['id']}/exit-quote", notice="2026-11-21").json()
    assert quote["account"] == world.mine.number
    assert quote["lines"], "leaving in the first month of a 24-month term costs something"


def test_invoices_with_lines_and_pdf(as_mine: Api, world: World) -> None:
    listing = as_mine.get("/invoices").json()
    assert [i["number"] for i in listing["items"]] == [world.my_invoice.number]
    detail = as_mine.get(f"/invoices/{world.my_invoice.number}").json()
    # The first bill (see tests/billing/test_views.py): £76.91 with its lines and clauses.
    assert detail["total"] == "76.91"
    assert sum(float(line["net"]) for line in detail["lines"]) == pytest.approx(
        float(detail["net"])
    )
    assert all(line["clause"] for line in detail["lines"])
    assert as_mine.get("/invoices", since="2026-11-16").json()["count"] == 0
    pdf = as_mine.get(f"/invoices/{world.my_invoice.number}/pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")


def test_payments_and_statement(as_mine: Api, world: World) -> None:
    payments = as_mine.get("/payments").json()["items"]
    assert [(p["account"], p["amount"]) for p in payments] == [(world.mine.number, "20.00")]
    assert as_mine.get("/payments", method="card").json()["count"] == 0
    statement = as_mine.get(f"/accounts/{world.mine.number}/statement", on="2026-11-21").json()
    # £76.91 billed on 15 Nov less £20.00 paid on 18 Nov leaves £56.91.
    assert statement["balance"] == "56.91"
    assert statement["invoices"][0]["number"] == world.my_invoice.number


def test_usage(as_mine: Api, world: World) -> None:
    usage = as_mine.get(f"/accounts/{world.mine.number}/usage").json()
    assert usage["account"] == world.mine.number
    assert usage["state"] == "normal"


def test_usage_before_the_account_had_a_plan_is_a_client_error(as_mine: Api, world: World) -> None:
    before = as_mine.get(f"/accounts/{world.mine.number}/usage", at="1970-01-01T00:00:00Z")
    assert before.status_code == 422
    assert before.json()["detail"]


def test_tickets(as_mine: Api, world: World) -> None:
    items = as_mine.get("/tickets").json()["items"]
    assert [t["reference"] for t in items] == [world.my_ticket.reference]
    detail = as_mine.get(f"/tickets/{world.my_ticket.reference.lower()}").json()
    assert detail["category"] == "fault"
    assert as_mine.get("/tickets", state="closed").json()["count"] == 0


def test_abuse_reporter_shown_to_customer_only_once_released(
    as_mine: Api, as_staff: Api, world: World
) -> None:
    cases = as_mine.get("/abuse/cases").json()["items"]
    assert [c["reference"] for c in cases] == [world.my_case.reference]
    mine = as_mine.get("/abuse/reports").json()["items"]
    assert [(r["account"], r["reporter"]) for r in mine] == [(world.mine.number, None)]
    theirs = Api(as_mine.client, world.theirs_token).get("/abuse/reports").json()["items"]
    assert [r["reporter"] for r in theirs] == ["reporter2@example.net"]
    staff = as_staff.get("/abuse/reports", account=world.mine.number).json()["items"]
    assert [r["reporter"] for r in staff] == ["reporter1@example.net"]
