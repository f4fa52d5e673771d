"""Engineer appointments: the free cancellation time and which slots may be booked.

PlugIn: "Appointments can be cancelled up to 1.30pm on the day before the visit"
(broadband-terms#5). Plusnet: a cancellation "later than 48 hours before the scheduled
visit" is charged (business-phone-charges#15(g)). Times are London wall-clock times.
"""

from __future__ import annotations

import dataclasses
from datetime import time

import pytest

from backhaul.core.errors import InvalidInput
from backhaul.support import rules
from tests.support.test_rules import HOUR, MINUTE, PLUGIN_VISITS, PLUSNET_VISITS, london

#: Example windows (the terms state none): mornings and afternoons, Monday to Saturday.
WINDOWED = dataclasses.replace(
    PLUGIN_VISITS,
    appointment_windows=((time(8), time(13)), (time(13), time(18))),
    appointment_weekdays=frozenset(range(6)),
    appointment_windows_clause="example",
)


def test_plugin_free_cancellation_ends_at_half_past_one_the_day_before() -> None:
    # Tue 10 Nov 2026 08:00 slot: free until Mon 9 Nov 13:30. Across the spring clock change
    # the cut-off is still 13:30 London time: a Mon 30 Mar 2026 slot, Sun 29 Mar 13:30 BST.
    assert rules.free_cancellation_until(
        PLUGIN_VISITS, slot_start=london(2026, 11, 10, 8)
    ) == london(2026, 11, 9, 13, 30)
    until = rules.free_cancellation_until(PLUGIN_VISITS, slot_start=london(2026, 3, 30, 8))
    assert until == london(2026, 3, 29, 13, 30)
    assert until.utcoffset() == HOUR


def test_plusnet_free_cancellation_is_48_real_hours_before() -> None:
    # Mon 26 Oct 2026 09:00 GMT: 48 hours before is Sat 24 Oct 10:00 BST (the clocks went
    # back at 02:00 on Sun 25 Oct), one wall-clock hour later than the slot's time.
    slot = london(2026, 10, 26, 9)
    until = rules.free_cancellation_until(PLUSNET_VISITS, slot_start=slot)
    assert until == london(2026, 10, 24, 10)
    assert rules.real_span(until, slot) == 48 * HOUR
    assert not rules.late_cancellation(PLUSNET_VISITS, slot_start=slot, cancelled_at=until)
    assert rules.late_cancellation(PLUSNET_VISITS, slot_start=slot, cancelled_at=until + MINUTE)


def test_no_late_cancellation_terms_means_always_free() -> None:
    free = dataclasses.replace(PLUSNET_VISITS, late_cancellation_hours=None)
    slot = london(2026, 11, 10, 8)
    assert rules.free_cancellation_until(free, slot_start=slot) is None
    assert not rules.late_cancellation(free, slot_start=slot, cancelled_at=slot - MINUTE)


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (
            london(2026, 11, 2, 8),
            london(2026, 11, 2, 13),
            "slot_start: 08:00 on 02 November 2026 is in the past; book a later appointment",
        ),
        (
            london(2026, 11, 10, 13),
            london(2026, 11, 10, 8),
            "slot_end: the appointment must end after it starts (13:00)",
        ),
        (
            london(2026, 11, 10, 7),
            london(2026, 11, 10, 12),
            "slot_start: 07:00-12:00 on Tuesday 10 November is outside the appointment windows "
            "(08:00-13:00, 13:00-18:00, Monday, Tuesday, Wednesday, Thursday, Friday, "
            "Saturday; example)",
        ),
        (
            london(2026, 11, 10, 12),
            london(2026, 11, 10, 14),
            "slot_start: 12:00-14:00 on Tuesday 10 November is outside the appointment windows "
            "(08:00-13:00, 13:00-18:00, Monday, Tuesday, Wednesday, Thursday, Friday, "
            "Saturday; example)",
        ),
        (
            london(2026, 11, 15, 8),
            london(2026, 11, 15, 13),
            "slot_start: 08:00-13:00 on Sunday 15 November is outside the appointment windows "
            "(08:00-13:00, 13:00-18:00, Monday, Tuesday, Wednesday, Thursday, Friday, "
            "Saturday; example)",
        ),
    ],
)
def test_slots_that_cannot_be_booked_name_the_field(start, end, message) -> None:
    with pytest.raises(InvalidInput) as caught:
        rules.check_appointment_slot(
            WINDOWED, slot_start=start, slot_end=end, now=london(2026, 11, 5, 9)
        )
    assert str(caught.value) == message


def test_slots_inside_a_window_or_without_windows_are_accepted() -> None:
    now = london(2026, 11, 5, 9)
    for start, end in [
        (london(2026, 11, 10, 8), london(2026, 11, 10, 13)),
        (london(2026, 11, 14, 13), london(2026, 11, 14, 18)),  # Saturday afternoon
        (london(2026, 11, 10, 9), london(2026, 11, 10, 11)),
    ]:
        rules.check_appointment_slot(WINDOWED, slot_start=start, slot_end=end, now=now)
    # The terms of both brands state no windows: a Sunday evening is then accepted.
    rules.check_appointment_slot(
        PLUGIN_VISITS,
        slot_start=london(2026, 11, 15, 19),
        slot_end=london(2026, 11, 15, 21),
        now=now,
    )
    rules.check_appointment_slot(
        None, slot_start=london(2026, 11, 15, 19), slot_end=london(2026, 11, 15, 21), now=now
    )
