"""Limit/offset pagination for every list in the API, with bounds the database can take."""

from __future__ import annotations

from ninja import Field, Schema
from ninja.conf import settings
from ninja.pagination import LimitOffsetPagination

# A PostgreSQL OFFSET beyond a signed 64-bit integer is an error, not an empty page; no list
# in Backhaul comes near 2**31 rows, so larger offsets are refused as invalid input (422).
MAX_OFFSET = 2**31 - 1


class Pagination(LimitOffsetPagination):
    class Input(Schema):
        limit: int = Field(settings.PAGINATION_PER_PAGE, ge=1, le=settings.PAGINATION_MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)
