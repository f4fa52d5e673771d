"""The dunning ladder: reminders, restriction, suspension, termination and hand-off to a
collection agency, each step a recorded notice citing its clause; holds by staff; service
restored when the arrears are paid."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db import IntegrityError, transaction

from backhaul.billing.services import charge_add
from backhaul.catalogue.models import Charge
from backhaul.catalogue.selectors import charge_in_force
from backhaul.contracts.choices import SubscriptionStatus
from backhaul.contracts.models import Subscription
from backhaul.contracts.services import subscription_transition
from backhaul.core.errors import InvalidInput, NotFound
from backhaul.core.money import format_amount, quantize
from backhaul.customers.models import Account
from backhaul.customers.services import account_get
from backhaul.notices.services import notice_send
from backhaul.payments import rules, selectors
from backhaul.payments.choices import (
    CollectionStatus,
    ContactChannel,
    ContactOutcome,
    DepartureKind,
    DunningStepKind,
    DunningStepStatus,
)
from backhaul.payments.models import (
    CollectionCase,
    ContactAttempt,
    DunningState,
    DunningStep,
)
from backhaul.payments.services.money import noon

ZERO = Decimal("0.00")
LIVE = (SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED)


def dunning_state(account: Account, *, now: datetime) -> DunningState:
    state, _ = DunningState.objects.get_or_create(account=account, defaults={"updated_at": now})
    return state


@transaction.atomic
def dunning_hold(
    *, account_number: str, reason: str, now: datetime, until: date | None = None, actor: str = ""
) -> DunningState:
    """Stop the ladder for an account: "we're normally happy to hang on for payment if you
    explain the problem" (plugin/broadband-terms#9). Restoring service on payment still
    happens while held."""
    account = account_get(account_number)
    params = selectors.dunning_params(account.brand)
    if params.get("steps") and params.get("staff_may_hold") is False:
        raise InvalidInput(f"{account.brand.name}'s ladder cannot be held")
    if not reason.strip():
        raise InvalidInput("reason: say why the ladder is held")
    state = DunningState.objects.select_for_update().get(pk=dunning_state(account, now=now).pk)
    state.held, state.held_until = True, until
    state.hold_reason, state.held_by, state.updated_at = reason.strip()[:300], actor, now
    state.save()
    return state


@transaction.atomic
def dunning_release(*, account_number: str, now: datetime, actor: str = "") -> DunningState:
    account = account_get(account_number)
    state = DunningState.objects.select_for_update().get(pk=dunning_state(account, now=now).pk)
    state.held, state.held_until, state.hold_reason = False, None, ""
    state.held_by, state.updated_at = actor, now
    state.save()
    return state


@transaction.atomic
def contact_attempt_record(
    *,
    account_number: str,
    on: date,
    channel: str,
    outcome: str,
    now: datetime,
    note: str = "",
    actor: str = "",
) -> ContactAttempt:
    """Record an attempt to reach the customer about arrears; termination waits for one
    that went unanswered (plugin/general-terms#rule-7)."""
    account = account_get(account_number)
    if channel not in ContactChannel.values:
        raise InvalidInput(f"channel: one of {', '.join(ContactChannel.values)}, not {channel!r}")
    if outcome not in ContactOutcome.values:
        raise InvalidInput(f"outcome: one of {', '.join(ContactOutcome.values)}, not {outcome!r}")
    return ContactAttempt.objects.create(
        account=account,
        on=on,
        channel=channel,
        outcome=outcome,
        note=note.strip()[:500],
        actor=actor,
        created_at=now,
    )


def _overdue_text(book: rules.Ledger, on: date) -> tuple[Decimal, str]:
    overdue = book.overdue(on=on)
    total = sum((left for _, left in overdue), ZERO)
    lines = "\n".join(
        f"- {piece.invoice}: £{format_amount(left)} due {piece.due_on}" for piece, left in overdue
    )
    return total, lines


@transaction.atomic
def dunning_review(*, account: Account, on: date, now: datetime) -> dict[str, int]:
    """Bring one account's ladder up to date for `on`.

    With nothing overdue, a run of arrears closes: services suspended or restricted by the
    ladder come back (with the brand's lift charge) and a pending hand-off is withdrawn.
    Otherwise every step the arrears have reached and not yet taken is taken in order;
    held accounts take none. Replaying a day changes nothing.
    """
    counts = {"steps": 0, "restored": 0, "waiting": 0}
    state = DunningState.objects.select_for_update().get(pk=dunning_state(account, now=now).pk)
    book = selectors.account_ledger(account, on=on)
    overdue = book.overdue(on=on)
    if not overdue:
        if state.cycle_started_on is not None:
            counts["restored"] = _restore(account, state, on=on, now=now)
            state.cycle_started_on = None
        _withdraw_collections(account, on)
        state.last_reviewed_on, state.updated_at = on, now
        state.save()
        return counts
    oldest = overdue[0][0].due_on
    assert oldest is not None
    if state.cycle_started_on is None:
        state.cycle_started_on = oldest
    if state.held and state.held_until is not None and state.held_until < on:
        state.held, state.held_until, state.hold_reason = False, None, ""
    state.last_reviewed_on, state.updated_at = on, now
    state.save()
    if state.held:
        return counts
    ladder = selectors.ladder(account.brand)
    cycle = state.cycle_started_on
    steps = DunningStep.objects.filter(account=account, cycle_started_on=cycle)
    taken = [s.kind for s in steps if s.status != DunningStepStatus.WAITING]
    days = (on - oldest).days
    for step in rules.dunning_steps_due(ladder, days_overdue=days, taken=taken):
        status = _take(account, step, cycle=cycle, book=book, on=on, now=now)
        if status == DunningStepStatus.WAITING:
            counts["waiting"] += 1
            break
        counts["steps"] += 1
    return counts


@transaction.atomic
def dunning_restore_if_clear(*, account: Account, on: date, now: datetime) -> int:
    """Close a run of arrears as soon as nothing is overdue (a payment came in): restore
    what the ladder suspended or restricted. Takes no step of the ladder."""
    if selectors.account_ledger(account, on=on).overdue(on=on):
        return 0
    _withdraw_collections(account, on)
    state = DunningState.objects.select_for_update().filter(account=account).first()
    if state is None or state.cycle_started_on is None:
        return 0
    restored = _restore(account, state, on=on, now=now)
    state.cycle_started_on, state.updated_at = None, now
    state.save(update_fields=["cycle_started_on", "updated_at"])
    return restored


def _withdraw_collections(account: Account, on: date) -> None:
    CollectionCase.objects.filter(account=account, status=CollectionStatus.PENDING).update(
        status=CollectionStatus.WITHDRAWN, withdrawn_reason=f"arrears paid by {on}"
    )


def _charge_add(
    account: Account, charge: Charge, *, key: str, description: str, on: date, now: datetime
) -> Decimal:
    """Put one of the ladder's catalogue charges on the account's next bill, once per key."""
    amount = quantize(charge.amount)
    charge_add(
        account=account,
        key=key,
        source="payments",
        description=description,
        amount=amount,
        vat_treatment=charge.vat_treatment,
        clause_id=charge.clause.clause_id,
        tax_point=on,
        now=now,
    )
    return amount


@dataclass(frozen=True)
class _Step:
    """A step of the ladder being taken for an account in one run of arrears."""

    account: Account
    step: rules.LadderStep
    cycle: date
    on: date
    now: datetime
    amount: str
    """What is overdue, as the customer's notice says it."""

    @property
    def key(self) -> str:
        return f"dunning:{self.account.number}:{self.cycle}:{self.step.kind}"

    def record(
        self,
        status: str,
        detail: str,
        *,
        subscriptions: list[int] | None = None,
        subject: str = "",
        letter: str = "",
    ) -> str:
        """Record the step's outcome once per run of arrears (a waiting step is updated when
        it goes ahead), sending the customer `letter` when the step is done."""
        account = self.account
        notice = None
        if status == DunningStepStatus.DONE and subject:
            notice = notice_send(
                key=self.key,
                kind=f"payments.dunning.{self.step.kind}",
                subject=f"{account.brand.name}: {subject}",
                body=f"Dear {account.name},\n\n{letter}",
                now=self.now,
                account=account,
                clause_id=self.step.clause,
            )
        row, created = DunningStep.objects.get_or_create(
            account=account,
            cycle_started_on=self.cycle,
            kind=self.step.kind,
            defaults={
                "on": self.on,
                "status": status,
                "clause": self.step.clause,
                "notice": notice,
                "detail": detail[:500],
                "subscriptions": subscriptions or [],
                "created_at": self.now,
            },
        )
        if not created and row.status == DunningStepStatus.WAITING:
            row.on, row.status, row.notice, row.detail = self.on, status, notice, detail[:500]
            row.subscriptions = subscriptions or []
            row.save()
        return status

    def on_services(
        self,
        targets: list[Subscription],
        act: Callable[[Subscription], object],
        *,
        done: str,
        nothing: str,
        subject: str,
        letter: Callable[[str], str],
    ) -> str:
        """Act on each target service and record the step naming them, or record that
        there was nothing to act on."""
        if not targets:
            return self.record(DunningStepStatus.NOTHING_TO_DO, nothing)
        for subscription in targets:
            act(subscription)
        names = ", ".join(s.product.name for s in targets)
        return self.record(
            DunningStepStatus.DONE,
            f"{done}: {names}",
            subscriptions=[s.pk for s in targets],
            subject=subject,
            letter=letter(names),
        )


def _take(
    account: Account,
    step: rules.LadderStep,
    *,
    cycle: date,
    book: rules.Ledger,
    on: date,
    now: datetime,
) -> str:
    total, lines = _overdue_text(book, on)
    taking = _Step(account, step, cycle, on, now, amount=f"£{format_amount(total)}")
    amount = taking.amount
    if step.kind == DunningStepKind.REMINDER:
        return taking.record(
            DunningStepStatus.DONE,
            f"{amount} overdue",
            subject=f"payment of {amount} is overdue",
            letter=(
                f"Our records show {amount} unpaid past its due date on account "
                f"{account.number}:\n{lines}\n\nPlease pay it now, or contact us if there is "
                "a problem: we would rather hear from you than take further action."
            ),
        )
    if step.kind == DunningStepKind.RESTRICTION:
        return _restrict(taking)
    if step.kind == DunningStepKind.SUSPENSION:
        return _suspend(taking)
    if step.kind == DunningStepKind.TERMINATION:
        return _terminate(taking)
    if step.kind == DunningStepKind.DEBT_COLLECTION:
        case, _ = CollectionCase.objects.get_or_create(
            account=account,
            cycle_started_on=cycle,
            defaults={"opened_on": on, "debt": book.balance, "created_at": now},
        )
        return taking.record(
            DunningStepStatus.DONE,
            f"collection case {case.pk} opened for £{format_amount(book.balance)}",
            subject="your unpaid account may be passed to a collection agency",
            letter=(
                f"{amount} is still unpaid on account {account.number}:\n{lines}\n\nUnless "
                "you pay it now, we will pass the debt, with any interest and late payment "
                "charges, to a debt collection agency, and the agency's cost will be added to "
                "what you owe."
            ),
        )
    raise InvalidInput(f"dunning: unknown step {step.kind!r} in the {account.brand.key} catalogue")


def _live_subscriptions(account: Account, kinds: tuple[str, ...]) -> list[Subscription]:
    query = Subscription.objects.filter(account=account, status=SubscriptionStatus.ACTIVE)
    if kinds:
        query = query.filter(product__kind__in=kinds)
    return list(query.select_related("product").order_by("id"))


def _restrict(taking: _Step) -> str:
    account, step, on = taking.account, taking.step, taking.on
    charge = charge_in_force(account.brand, step.charge, on=on) if step.charge else None
    targets = [
        s
        for s in _live_subscriptions(account, step.services)
        if charge is None or not charge.products or s.product.key in charge.products
    ]

    def restrict(subscription: Subscription) -> None:
        if charge is not None:
            _charge_add(
                account,
                charge,
                key=f"{taking.key}:S{subscription.pk}",
                description=f"{charge.name} (restriction for non-payment): "
                f"{subscription.product.name}",
                on=on,
                now=taking.now,
            )

    return taking.on_services(
        targets,
        restrict,
        done="restricted",
        nothing="no service on the account can be restricted",
        subject="service restricted for non-payment",
        letter=lambda names: (
            f"Because {taking.amount} is unpaid on account {account.number} we have "
            f"restricted: {names}. The restriction is lifted when the arrears are paid."
        ),
    )


def _suspend(taking: _Step) -> str:
    account, step = taking.account, taking.step
    return taking.on_services(
        _live_subscriptions(account, step.services),
        lambda subscription: subscription_transition(
            subscription_id=subscription.pk,
            to=SubscriptionStatus.SUSPENDED,
            at=noon(taking.on),
            reason=f"suspended for non-payment ({step.clause})",
            actor="dunning",
        ),
        done="suspended",
        nothing="no active service to suspend",
        subject="service suspended for non-payment",
        letter=lambda names: (
            f"Because {taking.amount} is unpaid on account {account.number} we have "
            f"suspended: {names}. Charges continue while the service is suspended; it comes "
            "back as soon as the arrears are paid."
        ),
    )


def _terminate(taking: _Step) -> str:
    from backhaul.payments.services.leaving import departure_record

    account = taking.account
    params = selectors.dunning_params(account.brand)
    blocked = rules.termination_blocked(
        required=bool(params.get("try_contact_before_termination")),
        attempts=selectors.contact_facts(account),
        since=taking.cycle,
        clause=params.get("try_contact_before_termination_clause") or params["clause"],
    )
    if blocked:
        return taking.record(DunningStepStatus.WAITING, f"termination waits: {blocked}")
    live = Subscription.objects.filter(account=account, status__in=LIVE).order_by("id")
    ended = []
    for subscription in live:
        departure_record(
            subscription_id=subscription.pk,
            kind=DepartureKind.NON_PAYMENT,
            on=taking.on,
            now=taking.now,
            actor="dunning",
        )
        ended.append(subscription.pk)
    return taking.record(
        DunningStepStatus.DONE,
        f"terminated {len(ended)} service(s)",
        subscriptions=ended,
        subject="your services have been terminated for non-payment",
        letter=(
            f"{taking.amount} is still unpaid on account {account.number} and we have not "
            "been able to reach you, so we have ended your services. Any charges for ending "
            "them are on your next bill, and the arrears remain payable."
        ),
    )


def _restore(account: Account, state: DunningState, *, on: date, now: datetime) -> int:
    cycle = state.cycle_started_on
    restored = 0
    ladder = {s.kind: s for s in selectors.ladder(account.brand)}
    for row in DunningStep.objects.filter(
        account=account,
        cycle_started_on=cycle,
        restored_on__isnull=True,
        kind__in=[DunningStepKind.SUSPENSION, DunningStepKind.RESTRICTION],
        status=DunningStepStatus.DONE,
    ):
        step = ladder.get(row.kind)
        for subscription_id in row.subscriptions:
            subscription = Subscription.objects.filter(pk=subscription_id).first()
            if subscription is None:
                continue
            if row.kind == DunningStepKind.SUSPENSION:
                if subscription.status != SubscriptionStatus.SUSPENDED:
                    continue
                subscription_transition(
                    subscription_id=subscription_id,
                    to=SubscriptionStatus.ACTIVE,
                    at=noon(on),
                    reason="arrears paid: service restored",
                    actor="dunning",
                )
            elif step is not None and step.lift_charge and subscription.status in LIVE:
                charge = charge_in_force(account.brand, step.lift_charge, on=on)
                _charge_add(
                    account,
                    charge,
                    key=f"dunning:{account.number}:{cycle}:lift:S{subscription_id}",
                    description=f"{charge.name} (restriction lifted): {subscription.product.name}",
                    on=on,
                    now=now,
                )
            restored += 1
        row.restored_on = on
        row.save(update_fields=["restored_on"])
    if restored:
        notice_send(
            key=f"dunning:{account.number}:{cycle}:restored",
            kind="payments.dunning.restored",
            subject=f"{account.brand.name}: thank you, your service is back",
            body=(
                f"Dear {account.name},\n\nThe arrears on account {account.number} are paid and "
                "the services we suspended or restricted are working again."
            ),
            now=now,
            account=account,
        )
    return restored


def dunning_run_day(
    *, on: date, now: datetime, progress: Callable[[int, int], None] | None = None
) -> dict[str, int]:
    """The daily job: review every account that owes money or has a run of arrears open.
    `progress(done, total)` is told of each account reviewed."""
    ids = set(selectors.accounts_owing(on=on))
    ids |= set(
        DunningState.objects.filter(cycle_started_on__isnull=False).values_list(
            "account_id", flat=True
        )
    )
    totals = {"accounts": 0, "steps": 0, "restored": 0, "waiting": 0}
    accounts = Account.objects.filter(pk__in=ids).select_related("brand").order_by("number")
    for done, account in enumerate(accounts, start=1):
        if progress is not None:
            progress(done, len(ids))
        try:
            counts = dunning_review(account=account, on=on, now=now)
        except IntegrityError:  # reviewed concurrently by another worker: theirs stands
            continue
        totals["accounts"] += 1
        for key, value in counts.items():
            totals[key] += value
    return totals


def dunning_overview(account: Account, *, on: date) -> dict[str, object]:
    state = DunningState.objects.filter(account=account).first()
    steps = DunningStep.objects.filter(account=account).order_by("-cycle_started_on", "on", "id")
    return {"state": state, "steps": list(steps[:20]), "ladder": selectors.ladder(account.brand)}


def step_get(step_id: int) -> DunningStep:
    try:
        return DunningStep.objects.select_related("account").get(pk=step_id)
    except DunningStep.DoesNotExist:
        raise NotFound(f"unknown dunning step {step_id}") from None


@transaction.atomic
def reactivation_fee_charge(*, account_number: str, on: date, now: datetime) -> Decimal:
    """Charge the brand's reactivation fee when staff reinstate an account the ladder
    terminated: "If your account is terminated, you may have to pay a reactivation fees to
    BT via us to reinstate it" (plugin/broadband-terms#9). Once per run of arrears."""
    account = account_get(account_number)
    params = selectors.dunning_params(account.brand)
    key = params.get("reactivation_charge")
    if not key:
        raise InvalidInput(f"{account.brand.name}'s terms name no reactivation fee")
    terminated = (
        DunningStep.objects.filter(
            account=account, kind=DunningStepKind.TERMINATION, status=DunningStepStatus.DONE
        )
        .order_by("-on")
        .first()
    )
    if terminated is None:
        raise InvalidInput(f"{account.number} was not terminated by the ladder")
    charge = charge_in_force(account.brand, key, on=on)
    return _charge_add(
        account,
        charge,
        key=f"dunning:{account.number}:{terminated.cycle_started_on}:reactivation",
        description=f"{charge.name}: reinstating the account terminated on {terminated.on}",
        on=on,
        now=now,
    )
