"""Exact money: parsing, rounding modes, formatting and the net + VAT = gross invariant."""

from __future__ import annotations

from decimal import Decimal, localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backhaul.core.errors import InvalidInput
from backhaul.core.money import (
    PENNY,
    MoneyError,
    Rounding,
    Taxed,
    format_amount,
    format_gbp,
    is_penny_scale,
    parse_amount,
    parse_rate,
    quantize,
    sum_taxed,
    to_penny_ceiling,
    to_penny_half_up,
    vat_for,
)

D = Decimal
VAT_20 = D("0.20")

pennies = st.integers(min_value=-(10**8), max_value=10**8).map(lambda p: D(p).scaleb(-2))
vat_rates = st.sampled_from([D("0"), D("0.05"), D("0.175"), D("0.15"), D("0.20")])
roundings = st.sampled_from(list(Rounding))


# Rounding -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.005", "0.01"),
        ("0.0049", "0.00"),
        ("-0.005", "-0.01"),  # half-up is symmetric: half a penny rounds away from zero
        ("4.165", "4.17"),
        ("20.825", "20.83"),
        ("20.83", "20.83"),
        ("-0.004", "0.00"),  # never a negative zero
    ],
)
def test_to_penny_half_up(value: str, expected: str) -> None:
    assert str(to_penny_half_up(D(value))) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # business-phone-charges#7: "Call charges are rounded up to the next penny".
        ("0.0001", "0.01"),
        ("0.0995", "0.10"),
        ("1.00", "1.00"),
        ("1.001", "1.01"),
        ("-0.019", "-0.01"),  # ceiling goes towards plus infinity
        ("-0.001", "0.00"),
    ],
)
def test_to_penny_ceiling(value: str, expected: str) -> None:
    assert str(to_penny_ceiling(D(value))) == expected


@pytest.mark.parametrize(
    ("rounding", "expected"),
    [
        (Rounding.HALF_UP, "2.68"),
        (Rounding.HALF_EVEN, "2.68"),
        (Rounding.CEILING, "2.68"),
        (Rounding.DOWN, "2.67"),
    ],
)
def test_quantize_names_its_mode(rounding: Rounding, expected: str) -> None:
    assert str(quantize(D("2.675"), PENNY, rounding)) == expected


def test_quantize_half_even_differs_from_half_up_on_ties() -> None:
    assert quantize(D("2.665"), rounding=Rounding.HALF_EVEN) == D("2.66")
    assert quantize(D("2.665"), rounding=Rounding.HALF_UP) == D("2.67")


def test_quantize_to_other_exponents() -> None:
    assert str(quantize(D("0.09951"), D("0.0001"), Rounding.CEILING)) == "0.0996"
    assert str(quantize(D("12.5"), D("1"), Rounding.HALF_UP)) == "13"


def test_quantize_ignores_the_callers_decimal_context() -> None:
    with localcontext() as ctx:
        ctx.prec = 3
        assert quantize(D("123456.785")) == D("123456.79")


def test_quantize_refuses_floats_and_bare_strings() -> None:
    with pytest.raises(MoneyError, match="not float"):
        quantize(0.1)  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        quantize(D("1.00"), rounding="ROUND_HALF_UP")  # type: ignore[arg-type]


@given(value=st.decimals(min_value=-(10**6), max_value=10**6, places=6), rounding=roundings)
@settings(max_examples=200)
def test_quantize_moves_less_than_a_penny(value: Decimal, rounding: Rounding) -> None:
    rounded = quantize(value, PENNY, rounding)
    assert is_penny_scale(rounded)
    assert abs(rounded - value) < PENNY
    if rounding is Rounding.CEILING:
        assert rounded >= value
    if rounding in (Rounding.HALF_UP, Rounding.HALF_EVEN):
        assert abs(rounded - value) <= PENNY / 2


# Parsing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("£20.83", "20.83"),
        ("20.83", "20.83"),
        ("  £1,000.00 ", "1000.00"),
        ("-5.00", "-5.00"),
        ("-£4.10", "-4.10"),
        ("30p", "0.30"),
        ("1.5p", "0.015"),
        ("58.65", "58.65"),
        ("0.0995", "0.0995"),  # catalogue rates per minute keep their scale
        ("12", "12"),
        ("£1,234,567.89", "1234567.89"),
    ],
)
def test_parse_amount_accepts(text: str, expected: str) -> None:
    parsed = parse_amount(text)
    assert parsed == D(expected)
    assert str(parsed) == expected  # the written scale is kept, nothing is rounded


def test_parse_amount_passes_decimals_through() -> None:
    value = D("20.8333")
    assert parse_amount(value) is value


@pytest.mark.parametrize(
    "text",
    ["", "   ", "£", "£2x", "1.2.3", "NaN", "Infinity", "-Infinity", "1e3", "1,00", "£30p", "p"],
)
def test_parse_amount_rejects_with_the_input_quoted(text: str) -> None:
    with pytest.raises(MoneyError) as raised:
        parse_amount(text)
    assert str(raised.value) == f"not an amount: {text!r}"


def test_parse_amount_message_for_a_typo() -> None:
    with pytest.raises(MoneyError, match=r"^not an amount: '£2x'$"):
        parse_amount("£2x")


def test_parse_amount_rejects_floats() -> None:
    with pytest.raises(MoneyError, match="amounts must be strings or Decimal, not float"):
        parse_amount(20.83)  # type: ignore[arg-type]


def test_parse_amount_rejects_non_finite_decimals() -> None:
    with pytest.raises(MoneyError):
        parse_amount(D("NaN"))


def test_money_errors_are_invalid_input_and_value_errors() -> None:
    with pytest.raises(InvalidInput):
        parse_amount("nope")
    with pytest.raises(ValueError, match="not an amount"):
        parse_amount("nope")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.20", D("0.20")),
        ("20%", D("0.20")),
        ("17.5%", D("0.175")),
        ("5 %", D("0.05")),
        ("0", D("0")),
        ("1/2", D("0.5")),
    ],
)
def test_parse_rate(text: str, expected: Decimal) -> None:
    assert parse_rate(text) == expected


def test_parse_rate_keeps_a_ratio_as_exact_as_possible() -> None:
    rate = parse_rate("1/30")
    assert abs(rate * 30 - 1) < D("1e-27")
    # One day of a £30.00 month at 1/30 is exactly a pound once rounded.
    assert to_penny_half_up(D("30.00") * rate) == D("1.00")


@pytest.mark.parametrize("text", ["", "20%%", "abc", "1/0", "NaN", "1/", "/3", "0.2.0"])
def test_parse_rate_rejects(text: str) -> None:
    with pytest.raises(MoneyError):
        parse_rate(text)


def test_parse_rate_rejects_floats() -> None:
    with pytest.raises(MoneyError, match="not float"):
        parse_rate(0.2)  # type: ignore[arg-type]


# Formatting -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "amount", "gbp"),
    [
        ("20.83", "20.83", "£20.83"),
        ("-4.1", "-4.10", "-£4.10"),
        ("5", "5.00", "£5.00"),
        ("0", "0.00", "£0.00"),
        ("-0.00", "0.00", "£0.00"),
        ("1000.000", "1000.00", "£1000.00"),  # trailing zeros are not lost precision
    ],
)
def test_format(value: str, amount: str, gbp: str) -> None:
    assert format_amount(D(value)) == amount
    assert format_gbp(D(value)) == gbp


def test_format_gbp_with_thousands() -> None:
    assert format_gbp(D("1234567.5"), thousands=True) == "£1,234,567.50"
    assert format_gbp(D("-1000"), thousands=True) == "-£1,000.00"


def test_format_never_rounds_silently() -> None:
    with pytest.raises(MoneyError, match="more than two decimal places"):
        format_amount(D("20.833"))
    with pytest.raises(MoneyError):
        format_gbp(D("0.005"))


@given(value=pennies)
@settings(max_examples=200)
def test_format_gbp_round_trips_through_parse_amount(value: Decimal) -> None:
    assert parse_amount(format_gbp(value)) == value
    assert parse_amount(format_gbp(value, thousands=True)) == value


# Taxed ----------------------------------------------------------------------------------


def test_from_net_adds_vat_half_up() -> None:
    # 20.83 * 0.20 = 4.166 -> 4.17 (half-up); gross 25.00.
    taxed = Taxed.from_net(D("20.83"), VAT_20)
    assert taxed == Taxed(net=D("20.83"), vat=D("4.17"), gross=D("25.00"))
    assert str(taxed.gross) == "25.00"


def test_from_net_half_a_penny_rounds_up() -> None:
    # 0.05 at 10% is exactly half a penny: half-up gives 0.01, rounding down gives 0.00.
    assert Taxed.from_net(D("0.05"), D("0.10")).vat == D("0.01")
    assert Taxed.from_net(D("0.05"), D("0.10"), Rounding.DOWN).vat == D("0.00")


def test_from_net_with_ceiling_for_call_charges() -> None:
    # business-phone-charges#7: a 0.11 call charge, VAT 0.022 rounded up to 0.03.
    taxed = Taxed.from_net(D("0.11"), VAT_20, Rounding.CEILING)
    assert taxed == Taxed(net=D("0.11"), vat=D("0.03"), gross=D("0.14"))


def test_from_net_requires_whole_pence() -> None:
    with pytest.raises(MoneyError, match="whole number of pence"):
        Taxed.from_net(D("20.833"), VAT_20)


def test_from_gross_backs_vat_out_of_an_inclusive_price() -> None:
    # 58.65 inc VAT at 20%: VAT = 58.65 * 0.2 / 1.2 = 9.775 -> 9.78 (half-up); net 48.87.
    taxed = Taxed.from_gross(D("58.65"), VAT_20)
    assert taxed == Taxed(net=D("48.87"), vat=D("9.78"), gross=D("58.65"))
    # 25.00 inc VAT: VAT 4.1666.. -> 4.17, net 20.83.
    assert Taxed.from_gross(D("25.00"), VAT_20) == Taxed(D("20.83"), D("4.17"), D("25.00"))


def test_from_gross_zero_rate() -> None:
    assert Taxed.from_gross(D("12.34"), D("0")) == Taxed(D("12.34"), D("0.00"), D("12.34"))


def test_taxed_rejects_inconsistent_or_sub_penny_values() -> None:
    with pytest.raises(MoneyError, match="net \\+ VAT must equal gross"):
        Taxed(net=D("1.00"), vat=D("0.20"), gross=D("1.21"))
    with pytest.raises(MoneyError, match="whole number of pence"):
        Taxed(net=D("1.001"), vat=D("0.20"), gross=D("1.201"))
    with pytest.raises(MoneyError, match="not float"):
        Taxed(net=1.0, vat=D("0"), gross=D("1"))  # type: ignore[arg-type]
    with pytest.raises(MoneyError, match="must not be negative"):
        Taxed.from_net(D("1.00"), D("-0.20"))


def test_taxed_fields_are_normalised_to_two_places() -> None:
    taxed = Taxed(net=D("5"), vat=D("1"), gross=D("6.000"))
    assert (str(taxed.net), str(taxed.vat), str(taxed.gross)) == ("5.00", "1.00", "6.00")


def test_taxed_arithmetic() -> None:
    line = Taxed.from_net(D("20.83"), VAT_20)
    credit = -Taxed.from_net(D("5.00"), VAT_20)
    assert credit == Taxed(D("-5.00"), D("-1.00"), D("-6.00"))
    assert line + credit == Taxed(D("15.83"), D("3.17"), D("19.00"))
    assert line - line == Taxed.zero()
    assert sum_taxed([line, line, credit]) == Taxed(D("36.66"), D("7.34"), D("44.00"))
    assert sum_taxed([]) == Taxed.zero()
    assert Taxed.sum_taxed([line]) == line


def test_vat_for() -> None:
    assert vat_for(D("20.83"), VAT_20, Rounding.HALF_UP) == D("4.17")
    assert vat_for(D("0.11"), VAT_20, Rounding.CEILING) == D("0.03")
    assert vat_for(D("-20.83"), VAT_20, Rounding.HALF_UP) == D("-4.17")


@given(net=pennies, rate=vat_rates, rounding=roundings)
@settings(max_examples=200)
def test_from_net_invariant(net: Decimal, rate: Decimal, rounding: Rounding) -> None:
    taxed = Taxed.from_net(net, rate, rounding)
    assert taxed.net == net
    assert taxed.net + taxed.vat == taxed.gross
    assert abs(taxed.vat - net * rate) < PENNY


@given(gross=pennies, rate=vat_rates)
@settings(max_examples=200)
def test_from_gross_invariant(gross: Decimal, rate: Decimal) -> None:
    taxed = Taxed.from_gross(gross, rate)
    assert taxed.gross == gross
    assert taxed.net + taxed.vat == gross
    assert abs(taxed.vat - gross * rate / (1 + rate)) <= PENNY / 2


@given(net=pennies, rate=vat_rates)
@settings(max_examples=200)
def test_half_up_vat_is_symmetric_for_credits(net: Decimal, rate: Decimal) -> None:
    assert Taxed.from_net(-net, rate) == -Taxed.from_net(net, rate)


@given(items=st.lists(st.tuples(pennies, vat_rates), max_size=20))
@settings(max_examples=200)
def test_sum_taxed_keeps_the_invariant(items: list[tuple[Decimal, Decimal]]) -> None:
    lines = [Taxed.from_net(net, rate) for net, rate in items]
    total = sum_taxed(lines)
    assert total.net == sum((line.net for line in lines), D(0))
    assert total.vat == sum((line.vat for line in lines), D(0))
    assert total.net + total.vat == total.gross
