"""Payment and credit control rules: pure functions over plain values.

Each function names the clause it implements. Every number (free declines a year, the
dispute threshold, the interest margin, the ECB rate table, the dunning ladder) comes from
the brand's catalogue through the caller; nothing here knows a brand. The rules live in one
module per sub-area and are all importable from here:

- `payment_rules`: payment methods, allocation oldest first, an account's ledger;
- `decline_rules`: charges for declines, bounces and chargebacks;
- `interest_rules`: late payment interest, day by day;
- `dispute_rules`: the dispute window and threshold;
- `dunning_rules`: the ladder, contact before termination, agency costs;
- `leaving_rules`: equipment returns and refunds of months paid in advance.

Money is exact. The roundings are:

- interest accrues exactly, day by day, and is rounded half-up to the penny once per
  invoice each time it is charged (`interest_for_invoice`);
- the disputed share of a bill is compared exactly, never rounded
  (`dispute_assess`);
- an agency's cost worked out as a share of a debt is rounded half-up to the penny
  (`agency_cost`).
"""

from __future__ import annotations

from backhaul.payments.decline_rules import (
    DeclineDecision,
    chargeback_charge_key,
    decline_charge_due,
)
from backhaul.payments.dispute_rules import (
    PAY_IN_FULL,
    PAY_UNDISPUTED,
    DisputeAssessment,
    DisputeTerms,
    dispute_assess,
)
from backhaul.payments.dunning_rules import (
    KIND_ALIASES,
    ContactFact,
    LadderStep,
    agency_cost,
    dunning_steps_due,
    ladder_from_params,
    termination_blocked,
)
from backhaul.payments.interest_rules import (
    ECB_PLUS,
    MONTHLY_PERCENT,
    DayRate,
    InterestPeriod,
    InterestTerms,
    InvoiceInterest,
    base_rate_on,
    day_rate,
    interest_for_invoice,
    interest_periods,
    principal_on,
)
from backhaul.payments.leaving_rules import (
    FullMonthsRefund,
    PaidPeriod,
    equipment_return_deadline,
    full_months_refund,
)
from backhaul.payments.payment_rules import (
    CARD,
    CARD_KINDS,
    FAR_FUTURE,
    HUNDRED,
    METHODS,
    NOT_STORED,
    ZERO,
    AllocationPart,
    Debt,
    DisputeFact,
    Fund,
    InvoiceFact,
    Ledger,
    MethodTerms,
    MoneyFact,
    PaymentRefused,
    Piece,
    allocate,
    exact_context,
    invoice_pieces,
    ledger,
    payment_amount_check,
    payment_method_check,
    piece_debt,
)

__all__ = [
    "CARD",
    "CARD_KINDS",
    "ECB_PLUS",
    "FAR_FUTURE",
    "HUNDRED",
    "KIND_ALIASES",
    "METHODS",
    "MONTHLY_PERCENT",
    "NOT_STORED",
    "PAY_IN_FULL",
    "PAY_UNDISPUTED",
    "ZERO",
    "AllocationPart",
    "ContactFact",
    "DayRate",
    "Debt",
    "DeclineDecision",
    "DisputeAssessment",
    "DisputeFact",
    "DisputeTerms",
    "FullMonthsRefund",
    "Fund",
    "InterestPeriod",
    "InterestTerms",
    "InvoiceFact",
    "InvoiceInterest",
    "LadderStep",
    "Ledger",
    "MethodTerms",
    "MoneyFact",
    "PaidPeriod",
    "PaymentRefused",
    "Piece",
    "agency_cost",
    "allocate",
    "base_rate_on",
    "chargeback_charge_key",
    "day_rate",
    "decline_charge_due",
    "dispute_assess",
    "dunning_steps_due",
    "equipment_return_deadline",
    "exact_context",
    "full_months_refund",
    "interest_for_invoice",
    "interest_periods",
    "invoice_pieces",
    "ladder_from_params",
    "ledger",
    "payment_amount_check",
    "payment_method_check",
    "piece_debt",
    "principal_on",
    "termination_blocked",
]
