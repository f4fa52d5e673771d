"""The subject access export: everything registered about one account, as a ZIP.

The archive holds `account.json` (who, when, which purposes apply), one
`data/<app>.json` per area with every registered personal field of every row held against
the account, and `invoices/<number>.pdf` for each invoice.
"""

from __future__ import annotations

import base64
import io
import json
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.apps import apps

from backhaul.customers.models import Account
from backhaul.privacy.models import Purpose
from backhaul.privacy.register import REGISTER, SECRET_TEXT, WITHHELD_TEXT, ModelEntry
from backhaul.privacy.selectors import account_usernames, held_for_account


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes | memoryview):
        return {"base64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def _row(obj: Any, entry: ModelEntry) -> dict[str, Any]:
    row: dict[str, Any] = {"id": obj.pk}
    for name in entry.fields:
        if name in entry.secret:
            row[name] = SECRET_TEXT
        elif name in entry.third_party and not getattr(obj, entry.third_party[name]):
            row[name] = WITHHELD_TEXT
        else:
            row[name] = _jsonable(getattr(obj, name))
    return row


def account_personal_data(account: Account) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Every registered personal field of every row held against the account, by area."""
    usernames = account_usernames(account)
    data: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for label, entry in sorted(REGISTER.items()):
        rows = held_for_account(label, entry, account, usernames)
        if rows is None:
            continue
        found = [_row(obj, entry) for obj in rows]
        if found:
            app_label, model_name = label.split(".")
            data.setdefault(app_label, {})[model_name] = found
    return data


def export_build(
    *,
    account: Account,
    now: datetime,
    invoice_pdf: Callable[[Any], bytes] | None = None,
) -> bytes:
    """The subject access ZIP for the account, built in memory."""
    if invoice_pdf is None:
        from backhaul.billing.documents import invoice_pdf as render

        invoice_pdf = render
    data = account_personal_data(account)
    purposes = {
        p.interaction: {"collected": p.collected, "why": p.why, "clause": p.clause.clause_id}
        for p in Purpose.objects.filter(brand=account.brand).select_related("clause")
    }
    uses = {
        label: {name: sorted(use & set(purposes)) for name, use in entry.fields.items()}
        for label, entry in REGISTER.items()
        if label.split(".")[0] in data and label.split(".")[1] in data[label.split(".")[0]]
    }
    summary = {
        "account": account.number,
        "brand": account.brand.key,
        "generated_at": now.isoformat(),
        "purposes": purposes,
        "why_each_field_is_held": uses,
        "areas": sorted(data),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("account.json", json.dumps(summary, indent=2, ensure_ascii=False))
        for app_label, models in sorted(data.items()):
            archive.writestr(
                f"data/{app_label}.json", json.dumps(models, indent=2, ensure_ascii=False)
            )
        invoice_model = apps.get_model("billing", "Invoice")
        for invoice in invoice_model.objects.filter(account=account).order_by("number"):
            archive.writestr(f"invoices/{invoice.number}.pdf", invoice_pdf(invoice))
    return buffer.getvalue()
