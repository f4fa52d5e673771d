"""Worked examples from the tariff tables, each rated by the engine and by the reference.

Rates (business-phone-charges#call-charges, per minute before VAT): Local and National
£0.015 daytime, £0.010 evening and weekend; 0845 £0.034 / £0.033 / £0.022; UK mobiles
£0.0995 (FM2 £0.1735 at weekends). A 5p set-up fee (#7), 5% admin fee on operator-assisted
calls (#call-charges-operator), VAT 20%. Each charge is rounded up to the penny before VAT,
and again after. Broadband Phone rates are the same example values.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from tests.rating.conftest import NUMBERS, rate_both

LINE, ANYTIME = NUMBERS["business-phone-line"][0], NUMBERS["business-phone-anytime"][0]
PAYG, BP50 = NUMBERS["broadband-phone-payg"][0], NUMBERS["broadband-phone-business"][0]
GEOGRAPHIC = "01632960001"


def call(call_id: str, caller: str, callee: str, at: str, billsec: int, **extra: str) -> list[str]:
    return [
        call_id,
        extra.get("account", ""),
        caller,
        callee,
        at,
        str(billsec),
        extra.get("disposition", "ANSWERED"),
        extra.get("operator", "false"),
    ]


def rated(rows, tariff, compiled, tmp_path, cdr_file, subscribers, **kwargs):
    result = rate_both(
        cdr_file(rows), tariff, compiled, tmp_path, subscribers=subscribers, **kwargs
    )
    return result["rated"], result["rejected"]


def money(row: dict) -> tuple[Decimal, Decimal, Decimal]:
    return row["setup_fee"], row["charge_ex_vat"], row["charge_inc_vat"]


def test_a_call_crossing_six_pm_is_charged_per_band_minute_by_minute(
    tariff, compiled, tmp_path, cdr_file, subscribers
) -> None:
    # Wednesday 10 June 2026, 17:57:30 BST, 330 s = 6 billed minutes starting 17:57:30,
    # 17:58:30, 17:59:30 (daytime) and 18:00:30, 18:01:30, 18:02:30 (evening): the minute
    # that starts at 17:59:30 is daytime though it ends after 18:00 (#9).
    # 3 x 0.015 + 3 x 0.010 + 0.05 = 0.125 -> 0.13; x 1.2 = 0.156 -> 0.16.
    rows, _ = rated(
        [call("c1", LINE, GEOGRAPHIC, "2026-06-10T17:57:30+01:00", 330)],
        tariff,
        compiled,
        tmp_path,
        cdr_file,
        subscribers,
    )
    row = rows[2]
    assert row["bands"] == {"weekend": 0, "evening": 3, "daytime": 3}
    assert money(row) == (Decimal("0.05"), Decimal("0.13"), Decimal("0.16"))
    assert row["clause"] == "plusnet-business/business-phone-charges#call-charges"


def test_a_weekend_fm2_call_pays_the_fm2_weekend_rate(
    tariff, compiled, tmp_path, cdr_file, subscribers
) -> None:
    rows, _ = rated(
        [
            # Saturday 13 June 2026 11:00 BST, 185 s = 4 minutes at £0.1735:
            # 4 x 0.1735 + 0.05 = 0.744 -> 0.75; x 1.2 = 0.90.
            call("sat", LINE, "07400 123456", "2026-06-13T11:00:00+01:00", 185),
            # The same call on Monday: 4 x 0.0995 + 0.05 = 0.448 -> 0.45; x 1.2 = 0.54.
            call("mon", LINE, "+447400123456", "2026-06-15T11:00:00+01:00", 185),
        ],
        tariff,
        compiled,
        tmp_path,
        cdr_file,
        subscribers,
    )
    assert rows[2]["destination_class"] == rows[3]["destination_class"] == "mobile-fm2"
    assert rows[2]["bands"]["weekend"] == 4
    assert money(rows[2]) == (Decimal("0.05"), Decimal("0.75"), Decimal("0.90"))
    assert money(rows[3]) == (Decimal("0.05"), Decimal("0.45"), Decimal("0.54"))


def test_0845_calls_in_each_band(tariff, compiled, tmp_path, cdr_file, subscribers) -> None:
    rows, _ = rated(
        [
            # Monday 09:00, 121 s = 3 min: 3 x 0.034 + 0.05 = 0.152 -> 0.16; x1.2 = 0.192 -> 0.20
            call("d", LINE, "08451234567", "2026-06-08T09:00:00+01:00", 121),
            # Monday 20:00: 3 x 0.033 + 0.05 = 0.149 -> 0.15; x 1.2 = 0.18
            call("e", LINE, "08451234567", "2026-06-08T20:00:00+01:00", 121),
            # Sunday: 3 x 0.022 + 0.05 = 0.116 -> 0.12; x 1.2 = 0.144 -> 0.15
            call("w", LINE, "08451234567", "2026-06-14T09:00:00+01:00", 121),
        ],
        tariff,
        compiled,
        tmp_path,
        cdr_file,
        subscribers,
    )
    assert [rows[n]["destination_class"] for n in (2, 3, 4)] == ["nts-0845"] * 3
    assert money(rows[2]) == (Decimal("0.05"), Decimal("0.16"), Decimal("0.20"))
    assert money(rows[3]) == (Decimal("0.05"), Decimal("0.15"), Decimal("0.18"))
    assert money(rows[4]) == (Decimal("0.05"), Decimal("0.12"), Decimal("0.15"))


def test_operator_assisted_calls_pay_the_set_up_fee_and_five_percent(
    tariff, compiled, tmp_path, cdr_file, subscribers
) -> None:
    rows, _ = rated(
        [
            # Operator (example rate £0.50), 90 s = 2 min: (2 x 0.50 + 0.05) x 1.05 = 1.1025
            # -> 1.11; x 1.2 = 1.332 -> 1.34.
            call("op", LINE, "100", "2026-06-09T10:00:00+01:00", 90),
            # A geographic call connected by the operator: (2 x 0.015 + 0.05) x 1.05 = 0.084
            # -> 0.09; x 1.2 = 0.108 -> 0.11.
            call("rc", LINE, GEOGRAPHIC, "2026-06-09T10:00:00+01:00", 90, operator="true"),
        ],
        tariff,
        compiled,
        tmp_path,
        cdr_file,
        subscribers,
    )
    assert rows[2]["destination_class"] == "operator-assisted"
    assert money(rows[2]) == (Decimal("0.05"), Decimal("1.11"), Decimal("1.34"))
    assert money(rows[3]) == (Decimal("0.05"), Decimal("0.09"), Decimal("0.11"))
    assert rows[2]["operator_assisted"] and rows[3]["operator_assisted"]
    assert rows[3]["clause"] == "plusnet-business/business-phone-charges#call-charges-operator"


def test_the_last_sunday_of_march_and_the_monday_after(
    tariff, compiled, tmp_path, cdr_file, subscribers
) -> None:
    rows, _ = rated(
        [
            # Sunday 29 March 2026, 23:50 BST (22:50 UTC), 0845 for 20 minutes: 10 weekend
            # minutes to midnight, then 10 evening minutes on Monday (before 6am):
            # 10 x 0.022 + 10 x 0.033 + 0.05 = 0.60; x 1.2 = 0.72. (Read in GMT the call
            # would be all weekend: 0.49.)
            call("sun", LINE, "08451234567", "2026-03-29T22:50:00Z", 1200),
            # Across the change itself: 00:50 GMT for 40 minutes, the clock jumping from
            # 01:00 to 02:00; Sunday all through: 40 weekend minutes. 40 x 0.010 + 0.05 = 0.45;
            # x 1.2 = 0.54.
            call("jump", PAYG, GEOGRAPHIC, "2026-03-29T00:50:00+00:00", 2400),
            # Monday 30 March, 05:55 BST (04:55 UTC), 10 minutes: 5 evening, 5 daytime:
            # 5 x 0.010 + 5 x 0.015 + 0.05 = 0.175 -> 0.18; x 1.2 = 0.216 -> 0.22.
            # (Read in GMT, 04:55 would be all evening: 0.15.)
            call("mon", LINE, GEOGRAPHIC, "2026-03-30T04:55:00Z", 600),
        ],
        tariff,
        compiled,
        tmp_path,
        cdr_file,
        subscribers,
    )
    assert rows[2]["bands"] == {"weekend": 10, "evening": 10, "daytime": 0}
    assert money(rows[2]) == (Decimal("0.05"), Decimal("0.60"), Decimal("0.72"))
    assert rows[3]["bands"] == {"weekend": 40, "evening": 0, "daytime": 0}
    assert money(rows[3]) == (Decimal("0.05"), Decimal("0.45"), Decimal("0.54"))
    assert rows[4]["bands"] == {"weekend": 0, "evening": 5, "daytime": 5}
    assert money(rows[4]) == (Decimal("0.05"), Decimal("0.18"), Decimal("0.22"))


def test_the_last_sunday_of_october_and_the_monday_after(
    tariff, compiled, tmp_path, cdr_file, subscribers
) -> None:
    rows, _ = rated(
        [
            # Sunday 25 October 2026, 23:50 GMT: 10 weekend + 10 Monday evening minutes of
            # 0845: 0.60 / 0.72. (Read in BST, 00:50 Monday: all evening, 0.71.)
            call("sun", LINE, "08451234567", "2026-10-25T23:50:00+00:00", 1200),
            # 00:30 GMT (01:30 BST) for 60 minutes across the hour the clock repeats:
            # 60 weekend minutes, 60 x 0.010 + 0.05 = 0.65; x 1.2 = 0.78.
            call("repeat", PAYG, GEOGRAPHIC, "2026-10-25T01:30:00+01:00", 3600),
            # Monday 26 October 05:55 GMT, 10 minutes: 5 evening, 5 daytime: 0.18 / 0.22.
            # (Read in BST, 06:55: all daytime, 0.20.)
            call("mon", LINE, GEOGRAPHIC, "2026-10-26T05:55:00Z", 600),
        ],
        tariff,
        compiled,
        tmp_path,
        cdr_file,
        subscribers,
    )
    assert rows[2]["bands"] == {"weekend": 10, "evening": 10, "daytime": 0}
    assert money(rows[2]) == (Decimal("0.05"), Decimal("0.60"), Decimal("0.72"))
    assert rows[3]["bands"] == {"weekend": 60, "evening": 0, "daytime": 0}
    assert money(rows[3]) == (Decimal("0.05"), Decimal("0.65"), Decimal("0.78"))
    assert rows[4]["bands"] == {"weekend": 0, "evening": 5, "daytime": 5}
    assert money(rows[4]) == (Decimal("0.05"), Decimal("0.18"), Decimal("0.22"))


def test_broadband_phone_evenings_are_weekdays_only(
    tariff, compiled, tmp_path, cdr_file, subscribers
) -> None:
    # Friday 23:50 to Saturday 00:10 BST, mobile FM2 for 20 minutes on Broadband Phone:
    # 10 evening minutes (Friday) at 0.0995, 10 weekend minutes (Saturday) at 0.1735:
    # 0.995 + 1.735 + 0.05 = 2.78; x 1.2 = 3.336 -> 3.34.
    rows, _ = rated(
        [call("fri", PAYG, "07500000000", "2026-06-12T23:50:00+01:00", 1200)],
        tariff,
        compiled,
        tmp_path,
        cdr_file,
        subscribers,
    )
    assert rows[2]["bands"] == {"weekend": 10, "evening": 10, "daytime": 0}
    assert money(rows[2]) == (Decimal("0.05"), Decimal("2.78"), Decimal("3.34"))


def test_an_allowance_used_up_mid_call_charges_the_rest_with_the_set_up_fee(
    tariff, compiled, tmp_path, cdr_file, subscribers
) -> None:
    account = NUMBERS["broadband-phone-business"][1]
    rows, _ = rated(
        [
            # 2,990 of the 3,000 minutes (50 hours) are used this month, and the allowance
            # goes in call order, whatever the order in the file. At 08:00 on Wednesday
            # 10 June a 9-minute call is covered in full: inclusive, no set-up fee. That
            # leaves 1 minute for the 25-minute call at 10:00, which pays the set-up fee and
            # 24 daytime minutes: 24 x 0.015 + 0.05 = 0.41; x 1.2 = 0.492 -> 0.50.
            call("mid", BP50, GEOGRAPHIC, "2026-06-10T10:00:00+01:00", 1500),
            call("early", BP50, GEOGRAPHIC, "2026-06-10T08:00:00+01:00", 540),
            # A mobile call never draws the allowance: 1 min x 0.0995 + 0.05 = 0.1495 -> 0.15;
            # x 1.2 = 0.18.
            call("mob", BP50, "07700900000", "2026-06-10T09:00:00+01:00", 60),
        ],
        tariff,
        compiled,
        tmp_path,
        cdr_file,
        subscribers,
        used={(account, "broadband-phone-business", 202606): 2990},
    )
    early, mid, mobile = rows[3], rows[2], rows[4]
    assert (early["covered_minutes"], early["inclusive"]) == (9, True)
    assert money(early) == (Decimal("0.00"), Decimal("0.00"), Decimal("0.00"))
    assert early["clause"] == "plusnet-business/broadband-phone-charges#6(b)"
    assert (mid["covered_minutes"], mid["inclusive"]) == (1, False)
    assert money(mid) == (Decimal("0.05"), Decimal("0.41"), Decimal("0.50"))
    assert money(mobile) == (Decimal("0.05"), Decimal("0.15"), Decimal("0.18"))


def test_anytime_calls_are_inclusive_on_weekdays_six_to_six(
    tariff, compiled, tmp_path, cdr_file, subscribers
) -> None:
    rows, _ = rated(
        [
            # Monday 10:00, 30 minutes to 01/02/03: inclusive, nothing to pay.
            call("in", ANYTIME, "02079460000", "2026-06-08T10:00:00+01:00", 1800),
            # Friday 17:55, 10 minutes: 5 inclusive, 5 evening at 0.010: 0.05 + 0.05 = 0.10;
            # x 1.2 = 0.12.
            call("part", ANYTIME, "03001234567", "2026-06-12T17:55:00+01:00", 600),
            # Saturday: not an Anytime call: 10 x 0.010 + 0.05 = 0.15; x 1.2 = 0.18.
            call("sat", ANYTIME, "01632960001", "2026-06-13T10:00:00+01:00", 600),
            # 0845 on Monday morning is not a geographic call: 0.16 / 0.20 as on PAYG.
            call("nts", ANYTIME, "08451234567", "2026-06-08T09:00:00+01:00", 121),
        ],
        tariff,
        compiled,
        tmp_path,
        cdr_file,
        subscribers,
    )
    assert (rows[2]["inclusive"], rows[2]["covered_minutes"]) == (True, 30)
    assert money(rows[2]) == (Decimal("0.00"), Decimal("0.00"), Decimal("0.00"))
    assert rows[2]["clause"] == "plusnet-business/business-phone-charges#call-plans-anytime"
    assert (rows[3]["inclusive"], rows[3]["covered_minutes"]) == (False, 5)
    assert money(rows[3]) == (Decimal("0.05"), Decimal("0.10"), Decimal("0.12"))
    assert money(rows[4]) == (Decimal("0.05"), Decimal("0.15"), Decimal("0.18"))
    assert money(rows[5]) == (Decimal("0.05"), Decimal("0.16"), Decimal("0.20"))


def test_free_calls_and_the_120_minute_maximum(
    tariff, compiled, tmp_path, cdr_file, subscribers
) -> None:
    rows, rejected = rated(
        [
            # Support: free, no set-up fee and no maximum call length.
            call("sup", PAYG, "0800 028 0282", "2026-06-08T10:00:00+01:00", 9000),
            # On-net: another number held on the brand.
            call("net", PAYG, LINE, "2026-06-08T10:00:00+01:00", 600),
            # Broadband Phone: 7,201 seconds is over 120 minutes (#3.7).
            call("long", PAYG, GEOGRAPHIC, "2026-06-08T10:00:00+01:00", 7201),
            # Business Phone has no maximum: 121 daytime minutes x 0.015 + 0.05 = 1.865
            # -> 1.87; x 1.2 = 2.244 -> 2.25.
            call("bp", LINE, GEOGRAPHIC, "2026-06-08T10:00:00+01:00", 7201),
            # Not answered: read, not charged.
            call("na", PAYG, GEOGRAPHIC, "2026-06-08T10:00:00+01:00", 0, disposition="BUSY"),
        ],
        tariff,
        compiled,
        tmp_path,
        cdr_file,
        subscribers,
    )
    assert (rows[2]["destination_class"], rows[2]["inclusive"]) == ("support", True)
    assert money(rows[2]) == (Decimal("0.00"), Decimal("0.00"), Decimal("0.00"))
    assert (rows[3]["destination_class"], money(rows[3])[1]) == ("on-net", Decimal("0.00"))
    assert rejected == {
        4: "billsec: 7201 seconds is over the 120-minute maximum call "
        "(plusnet-business/broadband-phone-schedule#3.7)"
    }
    assert money(rows[5]) == (Decimal("0.05"), Decimal("1.87"), Decimal("2.25"))
    assert (rows[6]["answered"], rows[6]["billed_minutes"], money(rows[6])[1]) == (
        False,
        0,
        Decimal("0.00"),
    )


def test_the_billing_month_is_the_local_month(
    tariff, compiled, tmp_path, cdr_file, subscribers
) -> None:
    # 00:30 BST on 1 April is still 31 March in UTC: the call belongs to April.
    rows, _ = rated(
        [call("apr", LINE, GEOGRAPHIC, "2026-04-01T00:30:00+01:00", 60)],
        tariff,
        compiled,
        tmp_path,
        cdr_file,
        subscribers,
    )
    assert rows[2]["billing_month"] == date(2026, 4, 1)
