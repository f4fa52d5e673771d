"""Pure rules for security questions: how answers compare and when checks stop.

The provider may ask a caller security questions to check their identity
(plusnet-business/privacy-policy#call-us: "security answers", for an "identity check").
"""

from __future__ import annotations

import unicodedata
from datetime import timedelta

ANSWER_MIN = 3
ANSWER_MAX = 100
# After this many wrong answers for one account within the window, support stops asking
# questions and checks the caller another way (for example by calling back the number
# held on the account), so the questions cannot be guessed one call after another.
CALLER_CHECK_FAILURES = 3
CALLER_CHECK_WINDOW = timedelta(hours=24)
QUESTIONS_MAX = 3


def answer_normalise(answer: str) -> str:
    """The form of an answer that is hashed and compared.

    Case, accents written as composed or separate characters, and spacing do not matter:
    " Mr  Whiskers " and "mr whiskers" are the same answer. Nothing else is changed, so
    "St Ives" and "St. Ives" differ.
    """
    return " ".join(unicodedata.normalize("NFKC", answer).casefold().split())


def answer_problem(normalised: str) -> str | None:
    """Why a (normalised) answer cannot be used, or None when it can."""
    if len(normalised) < ANSWER_MIN:
        return f"at least {ANSWER_MIN} characters, so that it cannot be guessed easily"
    if len(normalised) > ANSWER_MAX:
        return f"at most {ANSWER_MAX} characters"
    return None


def caller_checks_allowed(*, recent_failures: int) -> bool:
    """Whether support may check another answer for the account (see CALLER_CHECK_FAILURES)."""
    return recent_failures < CALLER_CHECK_FAILURES
