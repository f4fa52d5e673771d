"""Payments and credit control use cases, one module per sub-area.

- `money`: payments, mandates, card authority, declines and chargebacks, refunds, set-off
- `disputes`: raising and resolving disputed bills
- `interest`: charging late payment interest and the late payment charge
- `dunning`: the ladder, holds, contact attempts, restoring service on payment
- `collections`: handing debts to a collection agency
- `leaving`: charges and refunds when a customer leaves, equipment returns
"""

from backhaul.payments.services.collections import collection_open, collections_export
from backhaul.payments.services.disputes import dispute_get, dispute_raise, dispute_resolve
from backhaul.payments.services.dunning import (
    contact_attempt_record,
    dunning_hold,
    dunning_release,
    dunning_review,
    dunning_run_day,
    reactivation_fee_charge,
)
from backhaul.payments.services.interest import interest_charge, interest_summary
from backhaul.payments.services.leaving import (
    departure_record,
    departures_run_day,
    equipment_overdue_run,
    equipment_package_received,
    equipment_return_open,
    equipment_returned,
)
from backhaul.payments.services.money import (
    mandate_cancel,
    mandate_create,
    payment_failure_record,
    payment_record,
    refund_record,
    setoff_apply,
)

__all__ = [
    "collection_open",
    "collections_export",
    "contact_attempt_record",
    "departure_record",
    "departures_run_day",
    "dispute_get",
    "dispute_raise",
    "dispute_resolve",
    "dunning_hold",
    "dunning_release",
    "dunning_review",
    "dunning_run_day",
    "equipment_overdue_run",
    "equipment_package_received",
    "equipment_return_open",
    "equipment_returned",
    "interest_charge",
    "interest_summary",
    "mandate_cancel",
    "mandate_create",
    "payment_failure_record",
    "payment_record",
    "reactivation_fee_charge",
    "refund_record",
    "setoff_apply",
]
