"""Support use cases, by sub-area: tickets, claims, engineer visits, complaints, automatic
compensation and hosting uptime monitoring. Import them from here."""

from backhaul.support.services.automatic import (
    ofcom_compensate,
    ofcom_for_provision,
    ofcom_for_repair,
    ofcom_for_visit,
)
from backhaul.support.services.claims import (
    claim_automatic,
    claim_decide,
    claim_make,
    claim_phone_compensation,
)
from backhaul.support.services.complaints import (
    complaint_answer_escalation,
    complaint_escalate,
    complaint_resolve,
    complaint_respond,
    complaints_adr_due,
)
from backhaul.support.services.monitoring import (
    check_record,
    hosting_uptime_compensate,
    hosting_uptime_monthly,
    monitor_run,
    site_add,
)
from backhaul.support.services.tickets import (
    Upload,
    ticket_confirm,
    ticket_event_add,
    ticket_get,
    ticket_raise,
    ticket_reopen,
    ticket_reply,
    ticket_sync,
    tickets_auto_close,
)
from backhaul.support.services.visits import (
    visit_book,
    visit_cancel,
    visit_complete,
    visit_reschedule,
)

__all__ = [
    "Upload",
    "check_record",
    "claim_automatic",
    "claim_decide",
    "claim_make",
    "claim_phone_compensation",
    "complaint_answer_escalation",
    "complaint_escalate",
    "complaint_resolve",
    "complaint_respond",
    "complaints_adr_due",
    "hosting_uptime_compensate",
    "hosting_uptime_monthly",
    "monitor_run",
    "ofcom_compensate",
    "ofcom_for_provision",
    "ofcom_for_repair",
    "ofcom_for_visit",
    "site_add",
    "ticket_confirm",
    "ticket_event_add",
    "ticket_get",
    "ticket_raise",
    "ticket_reopen",
    "ticket_reply",
    "ticket_sync",
    "tickets_auto_close",
    "visit_book",
    "visit_cancel",
    "visit_complete",
    "visit_reschedule",
]
