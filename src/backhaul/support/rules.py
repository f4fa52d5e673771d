"""The support area's rules, in one place: SLA clocks, claims, visits and complaints.

Pure functions over plain values, split by sub-area so no module sprawls:

- :mod:`backhaul.support.sla_rules`: working time, the ticket event log and its canonical
  order, clocks, the SLA evaluation of a fault and the credit it earns
  (plusnet-business/broadband-schedule#6-7, plugin/uptime-guarantee#terms);
- :mod:`backhaul.support.claim_rules`: claim windows, the monthly cap, service credit,
  Uptime Guarantee and phone compensation decisions, hosting uptime refunds, Ofcom
  automatic compensation;
- :mod:`backhaul.support.visit_rules`: engineer visit charges and late cancellations
  (plugin/broadband-terms#5, plusnet-business/business-phone-charges#13-15);
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
    phone_compensation_decision,
    service_credit_after_cap,
    service_credit_decision,
    uptime_guarantee_decision,
)
from backhaul.support.complaint_rules import ComplaintClocks, ComplaintTerms, complaint_clocks
from backhaul.support.sla_rules import (
    CLOCK_CALENDAR_DAYS,
    CLOCK_ELAPSED,
    CLOCK_KINDS,
    CLOCK_WORKING,
    EVENT_TYPES,
    PAUSE_REASONS,
    ClockReading,
    EventLog,
    EventLogError,
    Pause,
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
    "claim_deadline",
    "claim_in_time",
    "complaint_clocks",
    "downtime_by_day",
    "elapsed_less_pauses",
    "event_log",
    "fault_credit",
    "hosting_uptime_compensation",
    "late_cancellation",
    "measure_clock",
    "ofcom_late_provision",
    "ofcom_late_repair",
    "ofcom_missed_appointment",
    "parse_events",
    "parse_money",
    "phone_compensation_decision",
    "service_credit_after_cap",
    "service_credit_decision",
    "sla_evaluate",
    "uptime_guarantee_credit",
    "uptime_guarantee_decision",
    "visit_charges",
    "working_time_from_params",
]
