"""The support area's rules, in one place: SLA clocks, claims, visits and complaints.

Pure functions over plain values, split by sub-area so no module sprawls:

- :mod:`backhaul.support.clock_rules`: working time, clocks measured in working hours,
  real hours or calendar days with pauses given back, and exact money helpers;
- :mod:`backhaul.support.event_rules`: the ticket event log, its validation (reopening
  included) and the canonical order of events that share a timestamp;
- :mod:`backhaul.support.sla_rules`: the SLA evaluation of a fault and the credit it
  earns (plusnet-business/broadband-schedule#6-7, plugin/uptime-guarantee#terms);
- :mod:`backhaul.support.claim_rules`: claim windows, the monthly cap, service credit,
  Uptime Guarantee and phone compensation decisions, hosting uptime refunds, Ofcom
  automatic compensation;
- :mod:`backhaul.support.visit_rules`: engineer visit charges and late cancellations
  (plugin/broadband-terms#5, plusnet-business/business-phone-charges#13-15) and the
  appointment slots that may be booked;
- :mod:`backhaul.support.complaint_rules`: complaint targets and the right to ADR
  (plugin/complaints, plusnet-business/general-terms#9.2).

Services and adapters import from here.
"""

from __future__ import annotations

from backhaul.support.claim_rules import (
    ClaimDecision,
    DecisionReason,
    HostingCompensation,
    HostingUptimeTerms,
    OfcomAmounts,
    OfcomCompensation,
    OfcomTerms,
    PhoneCompensationTerms,
    claim_deadline,
    claim_in_time,
    downtime_by_day,
    hosting_uptime_compensation,
    ofcom_late_provision,
    ofcom_late_repair,
    ofcom_missed_appointment,
    phone_claim_deadline,
    phone_compensation_decision,
    service_credit_after_cap,
    service_credit_decision,
    uptime_guarantee_decision,
)
from backhaul.support.clock_rules import real_shift, real_span, weekday_numbers
from backhaul.support.complaint_rules import ComplaintClocks, ComplaintTerms, complaint_clocks
from backhaul.support.sla_rules import (
    CLOCK_CALENDAR_DAYS,
    CLOCK_ELAPSED,
    CLOCK_KINDS,
    CLOCK_WORKING,
    EVENT_TYPES,
    PAUSE_REASONS,
    REOPENED,
    RETEST,
    ClockReading,
    EventLog,
    EventLogError,
    Pause,
    Reopening,
    ServiceCreditTerms,
    SlaPolicy,
    SlaResult,
    Target,
    TicketEvent,
    UptimeGuaranteeTerms,
    auto_close_at,
    canonical_order,
    elapsed_less_pauses,
    event_log,
    fault_credit,
    measure_clock,
    parse_events,
    parse_money,
    sla_evaluate,
    uptime_guarantee_credit,
    working_time_from_params,
)
from backhaul.support.visit_rules import (
    VisitChargeLine,
    VisitChargeTerms,
    check_appointment_slot,
    free_cancellation_until,
    late_cancellation,
    visit_charges,
)

__all__ = [
    "CLOCK_CALENDAR_DAYS",
    "CLOCK_ELAPSED",
    "CLOCK_KINDS",
    "CLOCK_WORKING",
    "EVENT_TYPES",
    "PAUSE_REASONS",
    "REOPENED",
    "RETEST",
    "ClaimDecision",
    "ClockReading",
    "ComplaintClocks",
    "ComplaintTerms",
    "DecisionReason",
    "EventLog",
    "EventLogError",
    "HostingCompensation",
    "HostingUptimeTerms",
    "OfcomAmounts",
    "OfcomCompensation",
    "OfcomTerms",
    "Pause",
    "PhoneCompensationTerms",
    "Reopening",
    "ServiceCreditTerms",
    "SlaPolicy",
    "SlaResult",
    "Target",
    "TicketEvent",
    "UptimeGuaranteeTerms",
    "VisitChargeLine",
    "VisitChargeTerms",
    "auto_close_at",
    "canonical_order",
    "check_appointment_slot",
    "claim_deadline",
    "claim_in_time",
    "complaint_clocks",
    "downtime_by_day",
    "elapsed_less_pauses",
    "event_log",
    "fault_credit",
    "free_cancellation_until",
    "hosting_uptime_compensation",
    "late_cancellation",
    "measure_clock",
    "ofcom_late_provision",
    "ofcom_late_repair",
    "ofcom_missed_appointment",
    "parse_events",
    "parse_money",
    "phone_claim_deadline",
    "phone_compensation_decision",
    "real_shift",
    "real_span",
    "service_credit_after_cap",
    "service_credit_decision",
    "sla_evaluate",
    "uptime_guarantee_credit",
    "uptime_guarantee_decision",
    "visit_charges",
    "weekday_numbers",
    "working_time_from_params",
]
