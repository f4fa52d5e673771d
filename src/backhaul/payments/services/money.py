"""Money in and out: payments, mandates, card authority, failures, refunds and set-off."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal

from django.db import transaction

from backhaul.billing.services import charge_add
from backhaul.catalogue.selectors import charge_in_force, rule_params
from backhaul.core.calendar import LONDON
from backhaul.core.errors import InvalidInput, NotFound
from backhaul.core.money import format_amount, parse_amount, quantize
from backhaul.customers.models import Account
from backhaul.customers.services import account_get
from backhaul.payments import rules, selectors
from backhaul.payments.choices import (
    FailureKind,
    MandateStatus,
    PaymentMethod,
    PaymentStatus,
)
from backhaul.payments.models import CardAuthority, Mandate, Payment, PaymentFailure, Refund, SetOff

SOURCE = "payments"
REVERSING = {
    FailureKind.CHEQUE_BOUNCE: PaymentMethod.CHEQUE,
    FailureKind.CHARGEBACK: PaymentMethod.CARD,
    FailureKind.DIRECT_DEBIT_RETURNED: PaymentMethod.DIRECT_DEBIT,
}


def noon(on: date) -> datetime:
    """Midday in London on `on`: the instant used for lifecycle changes dated `on`."""
    return datetime.combine(on, time(12), tzinfo=LONDON)


def amount_from(value: Decimal | str, *, field: str = "amount") -> Decimal:
    """A positive amount in pence from a form, a command line or a caller."""
    try:
        amount = parse_amount(value)
    except InvalidInput as exc:
        raise InvalidInput(f"{field}: {exc}") from None
    try:
        return rules.payment_amount_check(amount)
    except InvalidInput as exc:
        raise InvalidInput(str(exc).replace("amount:", f"{field}:", 1)) from None


# --- Mandates and card authority ------------------------------------------------------

SORT_CODE = re.compile(r"^\d{2}-?\d{2}-?\d{2}$")


@transaction.atomic
def mandate_create(
    *,
    account_number: str,
    reference: str,
    account_holder: str,
    sort_code: str,
    bank_account_number: str,
    signed_on: date,
    now: datetime,
) -> Mandate:
    """Record a Direct Debit mandate; only the last four digits of the bank account are
    kept."""
    account = account_get(account_number)
    reference = reference.strip()
    if not reference:
        raise InvalidInput("reference: a mandate needs the reference the bank quotes")
    if Mandate.objects.filter(reference=reference).exists():
        raise InvalidInput(f"reference: mandate {reference} is already recorded")
    if not account_holder.strip():
        raise InvalidInput("account_holder: the name on the bank account is required")
    if not SORT_CODE.match(sort_code.strip()):
        raise InvalidInput(f"sort_code: six digits such as 12-34-56, not {sort_code!r}")
    digits = bank_account_number.strip()
    if not (digits.isdigit() and 6 <= len(digits) <= 10):
        raise InvalidInput("bank_account_number: six to ten digits")
    code = sort_code.strip().replace("-", "")
    return Mandate.objects.create(
        account=account,
        reference=reference,
        account_holder=" ".join(account_holder.split()),
        sort_code=f"{code[:2]}-{code[2:4]}-{code[4:]}",
        account_number_last4=digits[-4:],
        signed_on=signed_on,
        created_at=now,
    )


@transaction.atomic
def mandate_cancel(*, reference: str, on: date) -> Mandate:
    try:
        mandate = Mandate.objects.select_for_update().get(reference=reference.strip())
    except Mandate.DoesNotExist:
        raise NotFound(f"unknown mandate {reference!r}") from None
    if mandate.status != MandateStatus.CANCELLED:
        mandate.status, mandate.cancelled_on = MandateStatus.CANCELLED, on
        mandate.save(update_fields=["status", "cancelled_on"])
    return mandate


def _active_mandate(account: Account, on: date) -> Mandate:
    mandate = (
        Mandate.objects.filter(account=account, status=MandateStatus.ACTIVE, signed_on__lte=on)
        .order_by("-signed_on")
        .first()
    )
    if mandate is None:
        raise InvalidInput(
            f"method: {account.number} has no Direct Debit mandate signed by {on}; "
            "record the mandate first"
        )
    return mandate


def card_authority_for(
    account: Account, *, on: date, now: datetime, card_brand: str = "", last4: str = ""
) -> CardAuthority | None:
    """The continuous card authority in force, granted with the first card payment where the
    brand's terms say paying by card grants it "until the service or contract is terminated"
    (plugin/broadband-terms#3)."""
    params = rule_params(account.brand, "payment_methods")
    if not params.get("card_continuous_authority"):
        return None
    authority = (
        CardAuthority.objects.filter(account=account, ends_on__isnull=True)
        .order_by("-granted_on")
        .first()
    )
    if authority is None:
        authority = CardAuthority.objects.create(
            account=account,
            card_brand=card_brand.strip().lower(),
            last4=last4.strip()[-4:],
            granted_on=on,
            clause=params.get("card_continuous_authority_clause") or params["clause"],
            created_at=now,
        )
    return authority


def card_authority_end(*, account: Account, on: date, reason: str) -> int:
    """End the continuous card authority when the service or contract is terminated."""
    return CardAuthority.objects.filter(account=account, ends_on__isnull=True).update(
        ends_on=on, end_reason=reason[:200]
    )


# --- Payments --------------------------------------------------------------------------


@transaction.atomic
def payment_record(
    *,
    account_number: str,
    amount: Decimal | str,
    method: str,
    on: date,
    now: datetime,
    reference: str = "",
    card_brand: str = "",
    card_last4: str = "",
    by_agreement: bool = False,
    actor: str = "",
) -> Payment:
    """Record money received. The method must be one the brand accepts
    ([rules.payment_methods]); a Direct Debit needs a mandate. Paying clears what is owed
    oldest first, and an account whose arrears are cleared gets its services back (the
    ladder itself only moves in the daily job).

    Recording the same payment again (same account, reference, day and amount) returns the
    payment already recorded.
    """
    from backhaul.payments.services.dunning import dunning_restore_if_clear

    account = account_get(account_number)
    value = amount_from(amount)
    stored = rules.payment_method_check(
        method,
        terms=selectors.method_terms(account.brand),
        brand=account.brand.key,
        card_brand=card_brand,
        by_agreement=by_agreement,
    )
    reference = reference.strip()[:100]
    if reference:
        existing = Payment.objects.filter(
            account=account, reference=reference, received_on=on, amount=value
        ).first()
        if existing is not None:
            return existing
    mandate = _active_mandate(account, on) if stored == PaymentMethod.DIRECT_DEBIT else None
    authority = (
        card_authority_for(account, on=on, now=now, card_brand=card_brand, last4=card_last4)
        if stored == PaymentMethod.CARD
        else None
    )
    terms = selectors.method_terms(account.brand)
    payment = Payment.objects.create(
        account=account,
        method=stored,
        amount=value,
        received_on=on,
        reference=reference,
        mandate=mandate,
        card_authority=authority,
        by_agreement=by_agreement and stored not in _accepted_stored(terms),
        clause=terms.clause,
        recorded_at=now,
        actor=actor,
    )
    dunning_restore_if_clear(account=account, on=on, now=now)
    return payment


def _accepted_stored(terms: rules.MethodTerms) -> set[str]:
    out = set(terms.accepted)
    if any(k in out for k in rules.CARD_KINDS):
        out.add(rules.CARD)
    return out


def payment_get(account: Account, payment_id: int) -> Payment:
    try:
        return Payment.objects.get(pk=payment_id, account=account)
    except Payment.DoesNotExist:
        raise NotFound(f"no payment {payment_id} on account {account.number}") from None


@transaction.atomic
def payment_failure_record(
    *,
    account_number: str,
    kind: str,
    on: date,
    now: datetime,
    reference: str = "",
    payment_id: int | None = None,
    amount: Decimal | str | None = None,
    incorrect: bool = False,
    product_kind: str = "",
    actor: str = "",
) -> PaymentFailure:
    """Record a card or standing order decline, a bounced cheque, a returned Direct Debit
    or a chargeback, and put any charge the brand's terms allow on the next bill.

    Bounces, returns and chargebacks reverse the payment they name: it no longer counts and
    what it paid is owed again. Declines, standing order declines and cheque bounces are
    free for the first `free_per_year` in any 12 months, then charged each
    ([rules.declines], plugin/broadband-terms#10). Chargebacks raised in error are charged
    per product where the brand says so ([rules.chargebacks]).
    """
    account = account_get(account_number)
    if kind not in FailureKind.values:
        raise InvalidInput(f"kind: one of {', '.join(FailureKind.values)}, not {kind!r}")
    payment = None
    value = amount_from(amount) if amount not in (None, "") else None
    if kind in REVERSING:
        if payment_id is None:
            raise InvalidInput(f"payment: a {kind} reverses a payment; name it")
        payment = Payment.objects.select_for_update().filter(pk=payment_id, account=account).first()
        if payment is None:
            raise NotFound(f"no payment {payment_id} on account {account.number}")
        if payment.method != REVERSING[kind]:
            raise InvalidInput(
                f"payment: P{payment.pk} was paid by {payment.method}; a {kind} reverses "
                f"a {REVERSING[kind]} payment"
            )
        if payment.status == PaymentStatus.REVERSED:
            raise InvalidInput(
                f"payment: P{payment.pk} was already reversed on {payment.reversed_on}"
            )
        if on < payment.received_on:
            raise InvalidInput(
                f"on: {on} is before the payment was received ({payment.received_on})"
            )
        key = f"{kind}:P{payment.pk}"
        value = payment.amount
    else:
        if not reference.strip():
            raise InvalidInput("reference: a decline needs the card or bank reference")
        key = f"{kind}:{account.number}:{on}:{reference.strip()}"[:200]
        existing = PaymentFailure.objects.filter(key=key).first()
        if existing is not None:
            return existing
    failure = PaymentFailure.objects.create(
        key=key,
        account=account,
        kind=kind,
        on=on,
        amount=value,
        reference=reference.strip()[:100] or (payment.reference if payment else ""),
        payment=payment,
        incorrect=incorrect,
        product_kind=product_kind.strip(),
        recorded_at=now,
        actor=actor,
    )
    if payment is not None:
        payment.status, payment.reversed_on = PaymentStatus.REVERSED, on
        payment.save(update_fields=["status", "reversed_on"])
    _failure_charge(account, failure, now=now)
    return failure


def _failure_charge(account: Account, failure: PaymentFailure, *, now: datetime) -> None:
    brand = account.brand
    fields = ["occurrence", "charge_key", "charge_amount", "clause", "explanation"]
    declines = rule_params(brand, "declines", default={})
    counted = declines.get("counts", [])
    if failure.kind in counted:
        earlier = selectors.failures_counted(account, kinds=counted, before_id=failure.pk)
        decision = rules.decline_charge_due(
            earlier,
            on=failure.on,
            free_per_year=int(declines["free_per_year"]),
            clause=declines["clause"],
        )
        failure.occurrence = decision.occurrence
        failure.explanation = decision.explanation[:300]
        failure.clause = declines["clause"]
        if decision.chargeable:
            _charge(account, failure, declines["charge"], reason=decision.explanation, now=now)
        failure.save(update_fields=fields)
        return
    if failure.kind == FailureKind.CHARGEBACK:
        params = rule_params(brand, "chargebacks", default={})
        if not params:
            failure.explanation = f"{brand.key}'s terms have no chargeback charge"
        elif params.get("only_when_incorrect") and not failure.incorrect:
            failure.clause = params["clause"]
            failure.explanation = (
                f"not charged: only chargebacks raised in error are passed on ({params['clause']})"
            )
        else:
            key = rules.chargeback_charge_key(
                default_key=params["charge"],
                by_product=dict(params.get("charge_by_product", {})),
                product_kind=failure.product_kind,
            )
            _charge(account, failure, key, reason="chargeback raised in error", now=now)
        failure.save(update_fields=fields)


def _charge(
    account: Account, failure: PaymentFailure, charge_key: str, *, reason: str, now: datetime
) -> None:
    charge = charge_in_force(account.brand, charge_key, on=failure.on)
    amount = quantize(charge.amount)
    key = f"payments:{failure.key}"[:200]
    charge_add(
        account=account,
        key=key,
        source=SOURCE,
        description=f"{charge.name} on {failure.on}"
        + (f" ({failure.reference})" if failure.reference else ""),
        amount=amount,
        vat_treatment=charge.vat_treatment,
        clause_id=charge.clause.clause_id,
        tax_point=failure.on,
        now=now,
    )
    failure.charge_key, failure.charge_amount = key, amount
    failure.clause = charge.clause.clause_id
    if not failure.explanation:
        failure.explanation = f"{reason}: {charge.name} £{format_amount(amount)}"[:300]


# --- Refunds and set-off ----------------------------------------------------------------


@transaction.atomic
def refund_record(
    *,
    account_number: str,
    amount: Decimal | str,
    on: date,
    now: datetime,
    method: str,
    reason: str,
    actor: str = "",
) -> Refund:
    """Pay back part or all of a credit balance. Anything the customer owes is deducted
    first, so only the credit left after every debt can be refunded
    (plusnet-business/general-terms#6.6, plugin/general-terms#rule-5)."""
    account = account_get(account_number)
    value = amount_from(amount)
    if method not in PaymentMethod.values:
        raise InvalidInput(f"method: one of {', '.join(PaymentMethod.values)}, not {method!r}")
    if not reason.strip():
        raise InvalidInput("reason: a refund must say why")
    params = rule_params(account.brand, "refunds", default={"clause": ""})
    clause = params["clause"]
    book = selectors.account_ledger(account, on=on)
    credit = -book.balance
    if value > credit:
        held = f"£{format_amount(credit)}" if credit > 0 else "no"
        raise InvalidInput(
            f"amount: £{format_amount(value)} is more than the credit on {account.number} "
            f"({held} credit after setting off what is owed; {clause})"
        )
    return Refund.objects.create(
        account=account,
        amount=value,
        on=on,
        method=method,
        reason=reason.strip()[:300],
        clause=clause,
        recorded_at=now,
        actor=actor,
    )


@transaction.atomic
def setoff_apply(
    *,
    from_account_number: str,
    to_account_number: str,
    on: date,
    now: datetime,
    amount: Decimal | str | None = None,
    reason: str = "",
    actor: str = "",
) -> SetOff:
    """Use a credit on one account to pay what another account of the same customer owes
    and has not paid by its due date (plusnet-business/general-terms#4.13: "Plusnet may
    deduct this sum from any payment or credit due to the Customer under the Contract or
    any other contract"). Within one account credits always meet the oldest debt first."""
    source = account_get(from_account_number)
    target = account_get(to_account_number)
    if source.pk == target.pk:
        raise InvalidInput("to: within one account credits already pay the oldest debt first")
    if source.brand_id != target.brand_id:
        raise InvalidInput("to: set-off is between accounts of the same provider")
    params = rule_params(source.brand, "late_payment", default={})
    if not params.get("set_off"):
        raise InvalidInput(f"{source.brand.name}'s terms have no set-off clause")
    clause = params.get("set_off_clause") or params["clause"]
    credit = -selectors.account_ledger(source, on=on).balance
    overdue = sum(
        (left for _, left in selectors.account_ledger(target, on=on).overdue(on=on)),
        Decimal("0.00"),
    )
    if credit <= 0:
        raise InvalidInput(f"from: {source.number} has no credit to set off")
    if overdue <= 0:
        raise InvalidInput(f"to: {target.number} owes nothing past its due date")
    value = amount_from(amount) if amount not in (None, "") else min(credit, overdue)
    if value > min(credit, overdue):
        raise InvalidInput(
            f"amount: at most £{format_amount(min(credit, overdue))} (credit "
            f"£{format_amount(credit)}, overdue £{format_amount(overdue)})"
        )
    return SetOff.objects.create(
        from_account=source,
        to_account=target,
        amount=value,
        on=on,
        clause=clause,
        reason=reason.strip()[:300],
        recorded_at=now,
        actor=actor,
    )
