"""The platform's rules for a new sub-account (§11.1), checked before anything is asked to be
confirmed or sent: a refusal from the platform would come after the person typed everything,
password included.  Used by ``fivec-tui subaccounts create`` and the TUI's form alike."""

from __future__ import annotations

from ..i18n import _

#: §11.1.1: childUsername and regPassword 6 to 15 characters, regCompanyName empty or at most
#: 20, regContactMobile 11 to 15 digits; §11.1.2: no punctuation in the name or password.
NAME_LENGTH = (6, 15)
PASSWORD_LENGTH = (6, 15)
COMPANY_MAX = 20
CONTACT_DIGITS = (11, 15)


def _letters_and_digits(what: str, value: str, length: tuple[int, int]) -> str | None:
    low, high = length
    if not low <= len(value) <= high:
        return _("{what} is {n} characters: it needs {low} to {high}").format(
            what=what, n=len(value), low=low, high=high
        )
    if not value.isalnum():
        return _("{what} may hold letters and digits only (no spaces or punctuation)").format(
            what=what
        )
    return None


def name_problems(child: str, contact_mobile: str, company: str = "") -> list[str]:
    """What the platform would refuse in the sub-account's name, contact mobile and company,
    in words ([] when nothing): what can be said before the password is asked for."""
    problems = [_letters_and_digits(_("the name"), child, NAME_LENGTH)]
    low, high = CONTACT_DIGITS
    if not (contact_mobile.isdigit() and low <= len(contact_mobile) <= high):
        problems.append(
            _("the contact mobile is {low} to {high} digits").format(low=low, high=high)
        )
    if len(company) > COMPANY_MAX:
        problems.append(
            _("the company name is {n} characters: at most {limit}").format(
                n=len(company), limit=COMPANY_MAX
            )
        )
    return [p for p in problems if p]


def password_problems(password: str) -> list[str]:
    """What the platform would refuse in the sub-account's password (never shown back)."""
    problem = _letters_and_digits(_("the password"), password, PASSWORD_LENGTH)
    return [problem] if problem else []
