"""The vectorised rating engine: CDR files rated in batches with Polars, exact to the penny.

The file is read in chunks of whole lines (:mod:`backhaul.rating.importers`); each chunk
becomes one Polars frame and is checked, classified and priced column by column, never row
by row, two batches at a time in worker threads (:mod:`backhaul.rating.engine.run`). Memory
stays bounded: a few chunks at a time, plus 8 bytes per call for the duplicate check and a
few bytes per call that uses a monthly allowance.

How the rules become column arithmetic:

- Destination classes: whole-number matches, on-net numbers, then one table lookup by the
  number's leading digits (the longest prefix for every digit string, precomputed).
- Time bands (business-phone-charges#2, #9; broadband-phone-charges#3): a band depends only
  on the local weekday and minute, and band boundaries fall on whole minutes, so minute k of
  a call answered at local minute-of-week ``w`` is in the band of minute ``w + k``. For each
  family a prefix-sum table over three weeks counts, for every minute-of-week, the minutes
  of each band before it (four 16-bit counters packed into one integer); the minutes of a
  call in each band are then two lookups and a subtraction. A call that spans a clock
  change is split at the change: the minutes after it are looked up ``delta`` minutes
  further on. Anytime hours are a second table of the minutes that are not inclusive.
- Money: rates are integers in millionths of a pound, the admin percentage a ratio, VAT a
  ratio; the penny ceilings of business-phone-charges#7 are integer ceiling divisions.
- Allowances (broadband-phone-charges#6): calls that draw on a monthly allowance are set
  aside, then sorted by account, month and time once the whole file is read, and the
  allowance is consumed with a running sum in call order.

:mod:`backhaul.rating.reference` rates the same files call by call in plain Python; the
two are tested against each other.
"""

from backhaul.rating.engine.run import (
    AllowanceUsed,
    Progress,
    check_file,
    parquet_to_csv,
    rate_file,
)
from backhaul.rating.engine.tables import (
    END_SECOND,
    FIRST_SECOND,
    PENNY_UNITS,
    CompiledTariff,
    compile_tariff,
    utc_offset_changes,
)
from backhaul.rating.engine.totals import EngineResult
from backhaul.rating.importers import CdrFileError

__all__ = [
    "END_SECOND",
    "FIRST_SECOND",
    "PENNY_UNITS",
    "AllowanceUsed",
    "CdrFileError",
    "CompiledTariff",
    "EngineResult",
    "Progress",
    "check_file",
    "compile_tariff",
    "parquet_to_csv",
    "rate_file",
    "utc_offset_changes",
]
