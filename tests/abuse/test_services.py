"""Intake, resolution, cases, the ladder and confidentiality, against both catalogues."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import override_settings

from backhaul.abuse import jobs
from backhaul.abuse.models import Case, CaseAction, CaseNote, IntakeMessage, Report
from backhaul.abuse.readers import read_items
from backhaul.abuse.selectors import (
    reports_needing_evidence,
    reports_per_day,
    time_to_first_action,
    unresolved_reports,
)
from backhaul.abuse.services import (
    RawItem,
    case_answer,
    case_disclose,
    case_merge,
    case_note_add,
    case_resolve,
    case_take_step,
    report_accept,
    report_assign,
    report_release_reporter,
    report_submit,
    reports_ingest,
)
from backhaul.contracts.models import Subscription, SubscriptionEvent
from backhaul.contracts.services import subscription_create
from backhaul.core.errors import InvalidInput, TransitionNotAllowed
from backhaul.notices.models import Notice
from tests.abuse.conftest import FIXTURES, at, fixture

pytestmark = pytest.mark.django_db


def ingest(now, *names: str, **kwargs):
    items = []
    for name in names:
        kind = {"csv": "csv", "json": "json"}.get(name.rsplit(".", 1)[-1], "email")
        items.append(RawItem(fixture(name), name, kind))
    return reports_ingest(items=items, channel="import", now=now, **kwargs)


def case_of(account, category: str) -> Case:
    return Case.objects.get(account=account, category=category, status__in=["open", "resolved"])


def test_every_fixture_is_counted_and_a_replay_changes_nothing(network, now) -> None:
    summary = reports_ingest(items=read_items(FIXTURES), channel="import", now=now)
    # 26 items (24 files, 2 Maildir messages, 3 mbox messages, less the 3 files that are
    # folders): 25 messages stored, the Maildir copy of arf-lf.eml is a duplicate. Records:
    # 24 messages of one incident each, plus 5 CSV rows, plus the duplicate.
    assert summary.read == summary.accepted + summary.rejected + summary.duplicates == 30
    assert (summary.messages, summary.duplicates, summary.rejected) == (25, 1, 8)
    # Rejected: not-spam ARF, broken MIME, two non-emails, the mbox's non-email, two CSV
    # rows, the YAML bomb.
    assert {r["reason"].split(":")[0] for r in summary.rejections} == {
        "not a complaint (Feedback-Type",
        "broken MIME",
        "not an email",
        "line 4",
        "line 5",
        "X-ARF report",
    }
    # Waiting: the CSV row about 192.0.2.99 (nobody held it); needing evidence: three spam
    # reports without headers and the firewall log; not about a customer: the vulnerability.
    assert (summary.unresolved, summary.needs_evidence, summary.not_about_a_customer) == (1, 4, 1)
    # Cases: Calder spam and intrusion, Dunmore spam, Elmfield spam and malware, Foxley
    # port scan, Greyfriars port scan and intrusion.
    assert summary.cases_created == Case.objects.count() == 8
    assert (summary.acknowledged, summary.headers_requested) == (6, 2)
    counts = (Report.objects.count(), Case.objects.count(), Notice.objects.count())

    again = reports_ingest(items=read_items(FIXTURES), channel="import", now=now)
    assert (again.read, again.duplicates, again.accepted, again.rejected) == (30, 30, 0, 0)
    assert (Report.objects.count(), Case.objects.count(), Notice.objects.count()) == counts


def test_a_batch_colliding_with_concurrent_intake_is_stored_item_by_item(
    network, now, monkeypatch
) -> None:
    """Another intake storing the same message first makes the batch's insert fail on the
    unique digest (as an IntegrityError on both databases); the batch is then stored one
    item at a time and nothing is lost or counted twice."""
    from backhaul.abuse.services import intake

    real_insert, collisions = intake.rows_insert, []

    def colliding_insert(model, rows):  # type: ignore[no-untyped-def]
        if model is IntakeMessage and len(rows) > 1 and not collisions:
            collisions.append(rows[0]["sha256"])
            real_insert(model, rows[:1])  # what the other intake stored a moment earlier
        return real_insert(model, rows)

    monkeypatch.setattr(intake, "rows_insert", colliding_insert)
    names = ("arf-lf.eml", "xarf-0.1.eml", "plain-spam-headers.eml", "plain-port-scan.eml")
    summary = ingest(now, *names, batch_size=10)
    assert len(collisions) == 1
    assert summary.read == summary.accepted + summary.rejected + summary.duplicates == 4
    assert (summary.accepted, summary.duplicates, summary.messages) == (4, 0, 4)
    assert IntakeMessage.objects.count() == Report.objects.count() == 4
    assert summary.cases_created == Case.objects.count()
    assert (
        sum(Case.objects.values_list("reports_count", flat=True))
        == Report.objects.filter(case__isnull=False).count()
    )


def test_a_reassigned_address_resolves_each_report_to_who_held_it_then(network, now) -> None:
    reports_ingest(items=read_items(FIXTURES / "reports.mbox"), channel="import", now=now)
    # 192.0.2.10 passed from Calder to Dunmore at 12:00 on 20 November.
    found = dict(
        Report.objects.filter(status="accepted").values_list("incident_at", "account__name")
    )
    assert found == {
        at(20, 11): "Calder Joinery Ltd",
        at(20, 13): "Dunmore Dental",
    }


def test_cgnat_reports_resolve_by_source_port_or_wait_in_the_unresolved_queue(network, now) -> None:
    ingest(now, "xarf-0.2-base64.eml", "plain-port-scan.eml")
    assert dict(Report.objects.values_list("port", "account__name")) == {
        1500: "Foxley Print",
        2051: "Greyfriars Motors",
    }
    without_port = fixture("xarf-0.2-base64.eml").replace(
        b"Port scan from 203.0.113.50", b"Port scan, no port given"
    )
    # The report part is base64; rewrite it without its Port line.
    import base64
    import re

    encoded = re.search(rb'filename="report.txt"\r\n\r\n(.*?)\r\n\r\n', without_port, re.S)
    yaml = base64.b64decode(b"".join(encoded.group(1).split())).replace(b"Port: 1500\n", b"")
    without_port = without_port.replace(encoded.group(1), base64.b64encode(yaml))
    reports_ingest(items=[RawItem(without_port, "no-port")], channel="import", now=now)
    waiting = unresolved_reports().get()
    assert (waiting.resolution, waiting.account, waiting.case) == ("several-holders", None, None)

    report_assign(
        report_id=waiting.pk, account_number=network["foxley"].number, now=now, actor="eve"
    )
    waiting.refresh_from_db()
    assert (waiting.resolution, waiting.case) == (
        "assigned",
        case_of(network["foxley"], "port-scan"),
    )
    assert waiting.case.reports_count == 2


def test_spam_without_headers_asks_the_reporter_for_them(network, now) -> None:
    summary = ingest(now, "plain-spam-no-headers.eml")
    report = Report.objects.get()
    assert (report.evidence_status, report.account, report.case) == (
        "needs-headers",
        network["calder"],
        None,
    )
    assert list(reports_needing_evidence()) == [report]
    assert summary.headers_requested == 1
    reference = report.message.reference
    [notice] = Notice.objects.all()
    assert (notice.key, notice.recipient, notice.account) == (
        f"abuse:headers:{reference}",
        "bob@complainer.example.org",
        None,
    )
    assert notice.clause.clause_id == "plusnet-business/abuse-faq#full-headers"
    assert reference in mail.outbox[0].body
    assert "full headers" in mail.outbox[0].body
    # Staff decide the report is enough after all: it joins Calder's spam case.
    report_accept(report_id=report.pk, now=now, actor="eve")
    report.refresh_from_db()
    assert report.case == case_of(network["calder"], "spam")


def test_a_pasted_firewall_log_is_flagged_not_acted_on(network, now) -> None:
    ingest(now, "plain-firewall-log.eml")
    report = Report.objects.get()
    assert (report.evidence_status, report.log_lines, report.case) == (
        "several-incidents",
        30,
        None,
    )
    assert report.evidence_reason == "30 log lines (more than 10): one incident per report"


def test_the_reporter_is_acknowledged_with_a_reference_and_nothing_else(network, now) -> None:
    ingest(now, "plain-spam-headers.eml")
    report = Report.objects.get()
    assert report.case is not None
    [notice] = Notice.objects.all()
    assert (notice.kind, notice.recipient, notice.account, notice.brand.key) == (
        "abuse.acknowledgement",
        "alice@reporter.example.org",
        None,
        "plusnet-business",
    )
    body = mail.outbox[0].body
    assert report.message.reference in body
    calder = network["calder"]
    for secret in (calder.name, calder.number, calder.primary_email, "Calder", "192.0.2.10"):
        assert secret not in body
    assert notice.clause.clause_id == "plusnet-business/abuse-faq#after-report"


def test_machine_reports_are_never_answered(network, now) -> None:
    ingest(now, "arf-lf.eml", "xarf-0.1.eml", "xarf4.json")
    assert Notice.objects.count() == 0


def test_a_vulnerability_in_our_network_is_not_a_customers_case(network, now) -> None:
    ingest(now, "security-vulnerability.eml")
    report = Report.objects.get()
    assert (report.resolution, report.account, report.case) == ("not-applicable", None, None)


def test_one_open_case_per_account_and_category(network, now) -> None:
    ingest(now, "arf-lf.eml", "plain-spam-headers.eml", "xarf-0.1.eml")
    calder = network["calder"]
    spam, intrusion = case_of(calder, "spam"), case_of(calder, "intrusion-attempt")
    assert (spam.reports_count, intrusion.reports_count) == (2, 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.create(account=calder, category="spam", opened_at=now)


def test_a_resolved_case_reopens_on_a_new_report(network, now) -> None:
    ingest(now, "arf-lf.eml")
    case = case_of(network["calder"], "spam")
    case_resolve(case_id=case.pk, now=now, actor="eve")
    summary = ingest(now + timedelta(hours=1), "arf-crlf.eml")
    case.refresh_from_db()
    assert (summary.cases_reopened, summary.cases_created) == (1, 0)
    assert (case.status, case.reports_count) == ("open", 2)
    assert list(case.actions.values_list("kind", flat=True)) == ["resolved", "reopened"]


@pytest.fixture
def calder_spam(network, now):
    subscription = subscription_create(
        account_number=network["calder"].number,
        product_key="mps-option-2",
        term=36,
        market="3",
        start=date(2025, 1, 15),
        now=now,
    )
    ingest(now, "arf-lf.eml", "plain-spam-headers.eml")
    return case_of(network["calder"], "spam"), subscription


def test_warning_tells_the_customer_the_breach_clause_and_time_frame(calder_spam, now) -> None:
    case, _ = calder_spam
    action = case_take_step(case_id=case.pk, now=now, actor="eve")
    case.refresh_from_db()
    # Seven days (catalogue, example value) from 21 Nov 2026 10:00 UTC = 28 Nov 10:00 GMT.
    deadline = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    assert (action.kind, action.clause.clause_id, action.deadline) == (
        "warning",
        "plusnet-business/general-terms#6.5(a)",
        deadline,
    )
    assert (case.step, case.steps_taken, case.deadline, case.first_action_at) == (
        "warning",
        1,
        deadline,
        now,
    )
    notice = action.notice
    assert (notice.recipient, notice.account) == ("office@calder.example.com", case.account)
    body = notice.body
    assert "This breaks plusnet-business/abuse-faq#what-is-abuse" in body
    assert "- Engaging in spamming" in body
    assert "Please put this right by 28 Nov 2026 10:00 UK time" in body
    assert "20 Nov 2026 08:30 UK time from 192.0.2.10" in body
    assert "This notice is given under plusnet-business/general-terms#6.5(a)" in body
    for reporter in ("fbl@feedback.example.net", "alice@reporter.example.org", "Alice"):
        assert reporter not in body


def test_suspension_lasts_until_the_case_is_resolved(calder_spam, now) -> None:
    case, subscription = calder_spam
    case_take_step(case_id=case.pk, now=now, actor="eve")
    later = now + timedelta(days=8)
    suspension = case_take_step(case_id=case.pk, now=later, actor="eve")
    subscription.refresh_from_db()
    assert subscription.status == "suspended"
    assert suspension.subscriptions == [subscription.pk]
    assert suspension.clause.clause_id == "plusnet-business/general-terms#6.5(b)"
    event = SubscriptionEvent.objects.filter(subscription=subscription).latest("at")
    assert event.reason == (
        f"abuse case {case.reference} (spam): plusnet-business/general-terms#6.5(b)"
    )

    case_resolve(case_id=case.pk, now=later + timedelta(days=1), actor="eve", note="fixed")
    subscription.refresh_from_db()
    case.refresh_from_db()
    assert (subscription.status, case.status) == ("active", "resolved")
    reinstated = case.actions.get(kind="reinstatement")
    assert reinstated.subscriptions == [subscription.pk]
    assert reinstated.notice.subject == f"Your services are active again ({case.reference})"
    assert CaseNote.objects.get(case=case).text == "fixed"


def test_another_suspended_case_keeps_the_services_suspended(calder_spam, now) -> None:
    case, subscription = calder_spam
    ingest(now, "xarf-0.1.eml")
    other = case_of(case.account, "intrusion-attempt")
    for each in (case, other):
        case_take_step(case_id=each.pk, now=now, actor="eve")
        case_take_step(case_id=each.pk, now=now + timedelta(days=8), actor="eve")
    case_resolve(case_id=case.pk, now=now + timedelta(days=9), actor="eve")
    subscription.refresh_from_db()
    assert subscription.status == "suspended"
    case_resolve(case_id=other.pk, now=now + timedelta(days=9), actor="eve")
    subscription.refresh_from_db()
    assert subscription.status == "active"


def test_a_repeat_offender_starts_further_up_the_ladder(network, now) -> None:
    calder = network["calder"]
    # Three cases within the last 365 days (the catalogue's example numbers).
    for days in (300, 100, 10):
        Case.objects.create(
            account=calder,
            category="port-scan",
            status="resolved",
            opened_at=now - timedelta(days=days),
            resolved_at=now - timedelta(days=days - 1),
        )
    ingest(now, "arf-lf.eml")
    case = case_of(calder, "spam")
    assert case.repeat_offender
    action = case_take_step(case_id=case.pk, now=now, actor="eve")
    assert action.kind == "suspension"
    assert action.detail == "repeat offender (plusnet-business/abuse-faq#repeat-offenders)"


def test_plugin_terminates_spam_at_once_and_other_abuse_only_after_no_response(
    network, now
) -> None:
    for name in ("elmfield", "greyfriars"):
        subscription_create(
            account_number=network[name].number,
            product_key="broadband",
            start=date(2026, 1, 1),
            now=now,
        )
    ingest(now, "arf-received-date.eml", "plain-port-scan.eml")
    spam = case_of(network["elmfield"], "spam")
    ended = case_take_step(case_id=spam.pk, step="termination", now=now, actor="eve")
    spam.refresh_from_db()
    assert (spam.status, ended.clause.clause_id) == ("closed", "plugin/aup#6")
    assert ended.detail == (
        "terminated without notice for this category (plugin/general-terms#rule-2)"
    )
    assert set(
        Subscription.objects.filter(account=network["elmfield"]).values_list("status", flat=True)
    ) == {"ceased"}

    scan = case_of(network["greyfriars"], "port-scan")
    with pytest.raises(TransitionNotAllowed, match="the next step on this case is warning"):
        case_take_step(case_id=scan.pk, step="termination", now=now, actor="eve")
    case_take_step(case_id=scan.pk, now=now, actor="eve")
    case_take_step(case_id=scan.pk, now=now + timedelta(days=1), actor="eve")
    case_answer(
        account=network["greyfriars"],
        case_id=scan.pk,
        text="We are looking into it.",
        now=now + timedelta(days=2),
        user_id=None,
    )
    with pytest.raises(TransitionNotAllowed, match="plugin/general-terms#rule-7"):
        case_take_step(case_id=scan.pk, now=now + timedelta(days=10), actor="eve")


def test_daily_job_suspends_a_plugin_case_left_unanswered_and_replays_safely(network, now) -> None:
    subscription = subscription_create(
        account_number=network["foxley"].number,
        product_key="broadband",
        start=date(2026, 1, 1),
        now=now,
    )
    ingest(now, "xarf-0.2-base64.eml")
    case = case_of(network["foxley"], "port-scan")
    case_take_step(case_id=case.pk, now=now, actor="eve")
    # The warning's time frame ends 28 Nov 10:00 UTC.
    run = jobs.escalate_overdue_cases
    assert run(on=date(2026, 11, 27), now=now + timedelta(days=30)) == {
        "cases_checked": 0,
        "steps_taken": 0,
    }
    assert run(on=date(2026, 11, 28), now=now + timedelta(days=30)) == {
        "cases_checked": 1,
        "steps_taken": 1,
    }
    subscription.refresh_from_db()
    case.refresh_from_db()
    assert (subscription.status, case.step, case.deadline) == ("suspended", "suspension", None)
    action = case.actions.get(kind="suspension")
    assert (action.actor, action.at) == ("backhaul tick", datetime(2026, 11, 29, 0, 0, tzinfo=UTC))
    notices = Notice.objects.count()
    assert run(on=date(2026, 11, 28), now=now + timedelta(days=30))["steps_taken"] == 0
    assert Notice.objects.count() == notices


def test_an_answer_within_the_time_frame_stops_the_automatic_suspension(network, now) -> None:
    ingest(now, "xarf-0.2-base64.eml")
    case = case_of(network["foxley"], "port-scan")
    case_take_step(case_id=case.pk, now=now, actor="eve")
    case_answer(
        account=network["foxley"], case_id=case.pk, text="Router patched.", now=now, user_id=None
    )
    assert jobs.escalate_overdue_cases(on=date(2026, 12, 5), now=now + timedelta(days=30)) == {
        "cases_checked": 1,
        "steps_taken": 0,
    }


def test_staff_merge_cases_of_one_account(network, now) -> None:
    ingest(now, "arf-lf.eml", "xarf-0.1.eml", "arf-received-date.eml")
    calder = network["calder"]
    spam, intrusion = case_of(calder, "spam"), case_of(calder, "intrusion-attempt")
    case_take_step(case_id=intrusion.pk, now=now, actor="eve")
    merged = case_merge(case_ids=[spam.pk, intrusion.pk], into_id=spam.pk, now=now, actor="eve")
    intrusion.refresh_from_db()
    assert (merged.reports_count, merged.steps_taken, merged.first_action_at) == (2, 1, now)
    assert (intrusion.status, intrusion.merged_into) == ("merged", merged)
    with pytest.raises(InvalidInput, match="only one account's cases merge"):
        case_merge(
            case_ids=[case_of(network["elmfield"], "spam").pk],
            into_id=spam.pk,
            now=now,
            actor="eve",
        )


def test_disclosure_is_recorded_with_its_legal_basis(network, now) -> None:
    ingest(now, "arf-received-date.eml")
    case = case_of(network["elmfield"], "spam")
    with pytest.raises(InvalidInput, match="legal_basis"):
        case_disclose(
            case_id=case.pk,
            authority="Example Police",
            legal_basis="asked-nicely",
            reference="",
            detail="subscriber details",
            now=now,
            actor="eve",
        )
    action = case_disclose(
        case_id=case.pk,
        authority="Example Police",
        legal_basis="court-order",
        reference="CO/2026/123",
        detail="subscriber name and address",
        now=now,
        actor="eve",
    )
    assert (
        action.kind,
        action.clause.clause_id,
        action.legal_basis,
        action.authority_reference,
    ) == (
        "disclosure",
        "plugin/general-terms#rule-3",
        "court-order",
        "CO/2026/123",
    )
    assert Notice.objects.count() == 0  # the customer is not told


def test_staff_notes_are_kept_apart_from_notices(network, now) -> None:
    ingest(now, "arf-lf.eml")
    case = case_of(network["calder"], "spam")
    note = case_note_add(case_id=case.pk, text="Called the customer.", now=now, actor="eve")
    assert (note.case, note.actor) == (case, "eve")
    assert Notice.objects.count() == 0
    with pytest.raises(InvalidInput):
        case_note_add(case_id=case.pk, text="  ", now=now, actor="eve")


def test_releasing_the_reporter_is_recorded(network, now) -> None:
    ingest(now, "plain-spam-headers.eml")
    report = Report.objects.get()
    assert not report.reporter_released
    report_release_reporter(report_id=report.pk, now=now, actor="eve")
    report.refresh_from_db()
    assert report.reporter_released
    action = CaseAction.objects.get(kind="reporter-released")
    assert action.clause.clause_id == "plusnet-business/abuse-faq#how-to-report"


@override_settings(ABUSE_LIMITS={"max_message_bytes": 100_000, "max_raw_bytes": 50_000})
def test_a_huge_message_is_kept_raw_with_its_reason_and_intake_goes_on(network, now) -> None:
    summary = ingest(now, "huge-attachment.eml", "arf-lf.eml")
    assert (summary.accepted, summary.rejected) == (1, 1)
    huge = IntakeMessage.objects.get(source="huge-attachment.eml")
    assert huge.reason == "too large: 270663 bytes (limit 100000)"
    assert (huge.status, huge.raw_size, huge.raw_truncated, len(huge.raw)) == (
        "rejected",
        270663,
        True,
        50_000,
    )


def test_a_report_the_parsers_trip_over_is_kept_and_intake_goes_on(
    network, now, monkeypatch
) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("parser bug")

    monkeypatch.setattr("backhaul.abuse.parsers.plain_incidents", broken)
    summary = ingest(now, "plain-spam-headers.eml", "arf-lf.eml")
    assert (summary.accepted, summary.rejected) == (1, 1)
    kept = IntakeMessage.objects.get(source="plain-spam-headers.eml")
    assert kept.reason == "could not be read: RuntimeError: parser bug"


def test_web_form_and_staff_entry(network, now) -> None:
    headers = (
        "Received: from h (h [192.0.2.10]) by mx.example.org; Fri, 20 Nov 2026 09:00:00 +0000\n"
        "From: a@example.com\nDate: Fri, 20 Nov 2026 09:00:00 +0000\nSubject: x"
    )
    message = report_submit(
        channel="web-form",
        brand_key="plusnet-business",
        reporter_email="Henry@Example.org",
        reporter_name="Henry",
        category="spam",
        ip="192.0.2.10",
        port=None,
        incident_at=at(20, 9),
        details="Spam again.",
        headers=headers,
        now=now,
    )
    report = message.reports.get()
    assert (message.format, message.channel, report.full_headers, report.case.account) == (
        "form",
        "web-form",
        True,
        network["calder"],
    )
    assert Notice.objects.get().recipient == "henry@example.org"

    taken = report_submit(
        channel="staff",
        brand_key="plugin",
        reporter_email="",
        reporter_name="Caller",
        category="harassment",
        ip=None,
        port=None,
        incident_at=at(20, 15),
        details="Threatening calls reported by phone.",
        headers="",
        now=now,
        account_number=network["elmfield"].number,
        actor="eve",
        acknowledge=False,
    )
    staff_report = taken.reports.get()
    assert (staff_report.resolution, staff_report.case.category) == ("assigned", "harassment")
    assert taken.source == "staff:eve"


def test_statistics_per_day_and_time_to_first_action(network, now) -> None:
    ingest(now, "arf-lf.eml", "xarf-0.1.eml", "arf-received-date.eml", "arf-not-spam.eml")
    case = case_of(network["calder"], "spam")
    case_take_step(case_id=case.pk, now=now + timedelta(hours=2), actor="eve")
    day = now.date()
    assert reports_per_day(start=day, end=day) == [
        {"day": day, "total": 3, "categories": {"intrusion-attempt": 1, "spam": 2}}
    ]
    rows = {row["category"]: row for row in time_to_first_action(start=day, end=day)}
    assert (rows["spam"]["cases"], rows["spam"]["acted"], str(rows["spam"]["median_hours"])) == (
        2,
        1,
        "2.00",
    )
    assert rows["intrusion-attempt"]["median_hours"] is None
