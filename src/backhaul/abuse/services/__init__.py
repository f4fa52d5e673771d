"""Abuse desk use cases: intake of reports, and the work done on cases."""

from backhaul.abuse.services.cases import (
    case_answer,
    case_disclose,
    case_merge,
    case_note_add,
    case_reopen,
    case_resolve,
    case_take_step,
    cases_escalate_due,
    cases_set_status,
    report_accept,
    report_assign,
    report_classify,
    report_release_reporter,
    reports_resolve_again,
)
from backhaul.abuse.services.intake import (
    IntakeSummary,
    RawItem,
    message_ingest,
    report_submit,
    reports_ingest,
)

__all__ = [
    "IntakeSummary",
    "RawItem",
    "case_answer",
    "case_disclose",
    "case_merge",
    "case_note_add",
    "case_reopen",
    "case_resolve",
    "case_take_step",
    "cases_escalate_due",
    "cases_set_status",
    "message_ingest",
    "report_accept",
    "report_assign",
    "report_classify",
    "report_release_reporter",
    "report_submit",
    "reports_ingest",
    "reports_resolve_again",
]
