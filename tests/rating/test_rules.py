"""Rating rules as pure functions: no database."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backhaul.catalogue.schema import parse_catalogue
from backhaul.core.errors import InvalidInput
from backhaul.rating.rules import (
    allowance_cover,
    billed_minutes,
    call_charge,
    classify_number,
    feature_bundle_for,
    minute_bands,
    normalise_number,
    number_has_lapsed,
    number_lapses_on,
    vat_rate_for,
)
from backhaul.rating.tariff_rules import PhoneTariff, TariffError, tariff_from_params
from tests.conftest import PLUSNET

MON, FRI, SAT, SUN = 0, 4, 5, 6


@pytest.fixture(scope="module")
def params() -> dict:
    catalogue = parse_catalogue(PLUSNET.read_text(encoding="utf-8"), file=str(PLUSNET))
    section = catalogue.rules["phone_rating"]
    return {**section.params, "clause": section.clause}


def build(params: dict) -> PhoneTariff:
    return tariff_from_params(
        params,
        brand="plusnet-business",
        timezone="Europe/London",
        vat_rates=[(date(2011, 1, 4), Decimal("0.20"))],
    )


def test_the_tariff_is_read_from_the_catalogue(tariff) -> None:
    assert tariff.setup_fee == Decimal("0.05")
    assert tariff.operator_admin_fee_percent == Decimal("5")
    assert tariff.plans["broadband-phone-business"].allowance_minutes == 50 * 60
    assert tariff.plans["broadband-phone-business-extra"].allowance_minutes == 83 * 60
    assert tariff.plans["broadband-phone-payg"].max_call_minutes == 120
    assert tariff.plans["business-phone-line"].max_call_minutes is None
    assert tariff.rates[("business-phone", "mobile-fm2")].by_band == {
        "weekend": Decimal("0.1735"),
        "evening": Decimal("0.0995"),
        "daytime": Decimal("0.0995"),
    }
    assert tariff.destination("support").numbers == (
        "08000280282",
        "03301239123",
        "08004320200",
        "03451400200",
    )
    assert [d.name for d in tariff.destinations if d.free] == [
        "support",
        "on-net",
        "freephone",
        "emergency",
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda p: p["bands"]["business-phone"]["weekend"].update(days=["sat", "sunday"]),
            "rules.phone_rating.bands.business-phone.weekend: unknown day 'sunday' "
            "(use mon, tue, wed, thu, fri, sat, sun)",
        ),
        (
            lambda p: p["bands"]["business-phone"]["evening"].update(windows=[["18:00", "06:00"]]),
            "rules.phone_rating.bands.business-phone.evening.windows[0]: 18:00 is not before 06:00",
        ),
        (
            lambda p: p["rates"]["business-phone"].update(geographic={"daytime": "0.0150001"}),
            "rules.phone_rating.rates.business-phone.geographic.weekend: required key is missing",
        ),
        (
            lambda p: p["rates"]["business-phone"]["geographic"].update(daytime="0.0000001"),
            "rules.phone_rating.rates.business-phone.geographic.daytime: at most 6 decimal "
            "places, found '0.0000001'",
        ),
        (
            lambda p: p["rates"]["business-phone"].update(satellite={"daytime": "1"}),
            "rules.phone_rating.rates.business-phone.satellite: unknown destination class "
            "'satellite'",
        ),
        (
            lambda p: p["plans"]["broadband-phone-payg"].update(family="cable"),
            "rules.phone_rating.plans.broadband-phone-payg.family: no bands for family 'cable'",
        ),
        (
            lambda p: p.pop("setup_fee"),
            "rules.phone_rating.setup_fee: required key is missing",
        ),
        (
            lambda p: p["destinations"]["premium"].update(prefixes=["09a"]),
            "rules.phone_rating.destinations.premium.prefixes: '09a' is not a string of digits",
        ),
    ],
)
def test_a_tariff_the_engine_cannot_rate_with_is_refused_by_key(params, change, message) -> None:
    broken = copy.deepcopy(params)
    change(broken)
    with pytest.raises(TariffError) as caught:
        build(broken)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("01142000001", "01142000001"),
        ("0114 200 0001", "01142000001"),
        ("(0114) 200-0001", "01142000001"),
        ("+44 114 200 0001", "01142000001"),
        ("0044 114 200 0001", "01142000001"),
        ("+1 212 555 1234", "0012125551234"),
        ("999", "999"),
        ("12", None),
        ("abc", None),
        ("", None),
        ("+", None),
        ("0114 200 0001 ext 2", None),
        ("1" * 21, None),
    ],
)
def test_numbers_are_read_in_national_form(text, expected) -> None:
    assert normalise_number(text) == expected


@pytest.mark.parametrize(
    ("number", "on_net", "expected"),
    [
        ("01632960001", False, "geographic"),
        ("03451400200", False, "support"),  # a whole number beats its 03 prefix
        ("08451234567", False, "nts-0845"),
        ("07624000000", False, "mobile-fm6"),  # the longest prefix wins
        ("07400000000", False, "mobile-fm2"),
        ("0012125551234", False, "international"),
        ("01142000002", True, "on-net"),
        ("06000000000", False, None),
        ("1471", False, None),
    ],
)
def test_destination_classes_by_longest_prefix(tariff, number, on_net, expected) -> None:
    found = classify_number(number, tariff.destinations, on_net=on_net)
    assert (found.name if found else None) == expected


@pytest.mark.parametrize(
    ("billsec", "minutes"), [(0, 0), (1, 1), (59, 1), (60, 1), (61, 2), (7200, 120), (7201, 121)]
)
def test_durations_are_rounded_up_to_the_whole_minute(billsec, minutes) -> None:
    assert billed_minutes(billsec) == minutes


def test_a_negative_duration_is_refused() -> None:
    with pytest.raises(InvalidInput, match="billsec: negative duration -1"):
        billed_minutes(-1)


@pytest.mark.parametrize("family", ["business-phone", "broadband-phone"])
@pytest.mark.parametrize(
    ("day", "minute", "band"),
    [
        (MON, 5 * 60 + 59, "evening"),
        (MON, 6 * 60, "daytime"),
        (FRI, 17 * 60 + 59, "daytime"),
        (FRI, 18 * 60, "evening"),
        (FRI, 23 * 60 + 59, "evening"),
        (SAT, 0, "weekend"),
        (SAT, 20 * 60, "weekend"),
        (SUN, 10 * 60, "weekend"),
    ],
)
def test_time_bands(tariff, family, day, minute, band) -> None:
    assert tariff.schemes[family].band_at(day, minute) == band


def test_minute_bands_follow_the_wall_clock_across_the_clock_change(tariff) -> None:
    scheme, zone = tariff.schemes["business-phone"], tariff.zone
    # Monday 30 March 2026 04:58 UTC is 05:58 BST: two evening minutes, then daytime.
    start = datetime(2026, 3, 30, 4, 58, tzinfo=UTC)
    assert minute_bands(start, 4, scheme, zone) == ["evening", "evening", "daytime", "daytime"]
    # Monday 26 October 2026 04:58 UTC is 04:58 GMT: all evening.
    start = datetime(2026, 10, 26, 4, 58, tzinfo=UTC)
    assert minute_bands(start, 4, scheme, zone) == ["evening"] * 4


money = st.decimals(min_value=0, max_value=20, places=4)


@given(
    minutes=st.dictionaries(
        st.sampled_from(["daytime", "evening", "weekend"]), st.integers(0, 1440)
    ),
    rate=money,
    setup=st.sampled_from([Decimal("0"), Decimal("0.05")]),
    percent=st.sampled_from([Decimal("0"), Decimal("5"), Decimal("2.5")]),
    vat=st.sampled_from([Decimal("0.15"), Decimal("0.175"), Decimal("0.20")]),
)
def test_call_charges_round_up_to_the_penny_before_and_after_vat(
    minutes, rate, setup, percent, vat
) -> None:
    charge = call_charge(
        minutes_by_band=minutes,
        rates=dict.fromkeys(("daytime", "evening", "weekend"), rate),
        setup_fee=setup,
        admin_fee_percent=percent,
        vat_rate=vat,
    )
    penny = Decimal("0.01")
    assert charge.ex_vat == charge.ex_vat.quantize(penny)
    assert charge.exact <= charge.ex_vat < charge.exact + penny
    with_vat = charge.ex_vat * (1 + vat)
    assert with_vat <= charge.inc_vat < with_vat + penny
    assert charge.vat >= 0


@given(remaining=st.integers(-500, 5000), minutes=st.integers(0, 1440))
def test_an_allowance_covers_between_nothing_and_the_whole_call(remaining, minutes) -> None:
    cover = allowance_cover(remaining, minutes)
    assert 0 <= cover <= minutes
    assert cover == minutes or cover == max(0, remaining)


def test_vat_rate_on_the_day_of_the_call() -> None:
    table = [
        (date(2008, 12, 1), Decimal("0.15")),
        (date(2010, 1, 1), Decimal("0.175")),
        (date(2011, 1, 4), Decimal("0.20")),
    ]
    assert vat_rate_for(table, date(2011, 1, 3)) == Decimal("0.175")
    assert vat_rate_for(table, date(2011, 1, 4)) == Decimal("0.20")
    with pytest.raises(InvalidInput):
        vat_rate_for(table, date(2008, 11, 30))


BUNDLES = {
    2: "feature-bundle-2",
    3: "feature-bundle-3",
    4: "feature-bundle-4",
    5: "feature-bundle-5",
}
ELIGIBLE = [
    "feature-reminder-call",
    "feature-call-waiting",
    "feature-call-divert",
    "feature-ring-back",
    "feature-caller-display",
]


def test_feature_bundles_are_priced_by_the_number_of_features() -> None:
    assert feature_bundle_for(ELIGIBLE[:1], bundles=BUNDLES, eligible=ELIGIBLE) is None
    assert feature_bundle_for(ELIGIBLE[:3], bundles=BUNDLES, eligible=ELIGIBLE) == (
        "feature-bundle-3"
    )
    assert feature_bundle_for(ELIGIBLE, bundles=BUNDLES, eligible=ELIGIBLE) == "feature-bundle-5"
    with pytest.raises(InvalidInput, match="not available in a bundle: feature-voicemail-plus"):
        feature_bundle_for(
            [*ELIGIBLE[:2], "feature-voicemail-plus"], bundles=BUNDLES, eligible=ELIGIBLE
        )


def test_a_free_number_lapses_once_more_than_90_days_have_passed() -> None:
    # Last used 1 January 2026: 90 days later is 1 April (still held); more than 90 days
    # have passed on 2 April (1 Jan + 31 + 28 + 31 + 1 = 91 days).
    assert number_lapses_on(date(2026, 1, 1), 90) == date(2026, 4, 2)
    assert not number_has_lapsed(date(2026, 1, 1), date(2026, 4, 1), 90)
    assert number_has_lapsed(date(2026, 1, 1), date(2026, 4, 2), 90)
