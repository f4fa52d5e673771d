"""The register maps every personal field of every model to a purpose of every brand."""

from __future__ import annotations

import pytest

from backhaul.catalogue.models import Brand
from backhaul.privacy.models import Purpose
from backhaul.privacy.register import REGISTER, looks_personal
from backhaul.privacy.selectors import (
    concrete_models,
    model_label,
    register_gaps,
    register_stale,
    uses_unknown_to,
)


def test_every_field_that_looks_personal_is_registered_or_declared_not_personal() -> None:
    gaps = register_gaps()
    assert gaps == [], (
        "personal-looking fields with no purpose: add them to REGISTER (with a use) or to "
        f"NOT_PERSONAL (with a reason) in backhaul/privacy/register.py: {gaps}"
    )


def test_the_register_names_only_models_and_fields_that_exist() -> None:
    assert register_stale() == []


def test_the_walk_covers_every_area_with_personal_data() -> None:
    labels = {model_label(m) for m in concrete_models()}
    for expected in ("customers.Account", "billing.Invoice", "notices.Notice", "auth.User"):
        assert expected in labels
        assert expected in REGISTER


@pytest.mark.parametrize(
    ("name", "personal"),
    [
        ("primary_email", True),
        ("framedipaddress", True),
        ("framed_ip", True),
        ("reporter_name", True),
        ("postcode", True),
        ("description", False),
        ("shipping", False),
        ("bill_day", False),
    ],
)
def test_looks_personal(name: str, personal: bool) -> None:
    assert looks_personal(name) is personal


@pytest.mark.django_db
def test_purposes_load_from_both_catalogues(purposes: None) -> None:
    plusnet = Purpose.objects.get(brand__key="plusnet-business", interaction="referral")
    assert plusnet.flags == {"never_reveal_reason": True}
    assert plusnet.clause.clause_id == "plusnet-business/privacy-policy#referral"
    assert Purpose.objects.filter(brand__key="plugin", interaction="registration").exists()


@pytest.mark.django_db
def test_purposes_sync_is_idempotent(purposes: None) -> None:
    from backhaul.privacy.services import purposes_sync

    brand = Brand.objects.get(key="plugin")
    before = Purpose.objects.filter(brand=brand).count()
    counts = purposes_sync(brand=brand)
    assert counts == {"created": 0, "updated": before, "removed": 0}


@pytest.mark.django_db
@pytest.mark.parametrize("brand_key", ["plusnet-business", "plugin"])
def test_every_registered_field_has_a_purpose_in_each_brand(purposes: None, brand_key: str) -> None:
    assert uses_unknown_to(Brand.objects.get(key=brand_key)) == []
