"""Message arithmetic and recipient validation, shared by the CLI and the send form."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..i18n import _
from .errors import ContentEncodingError
from .wire import check_representable

GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€"
)
SIGNATURE = re.compile(r"【[^【】]{1,20}】")
MAX_CONTENT = 500


def check_content(content: str, encode: str) -> None:
    """Refuse before sending: empty, over 500 characters, or not representable."""
    if not content:
        raise ContentEncodingError(_("content is empty"))
    if len(content) > MAX_CONTENT:
        raise ContentEncodingError(
            _("content is {n} characters; at most {limit}").format(
                n=len(content), limit=MAX_CONTENT
            )
        )
    check_representable(content, encode)


def parts(content: str, *, international: bool = False) -> int:
    """Billed parts: ≤70 characters is one, longer splits at 67 (pure GSM-7 abroad: 160/153)."""
    n = len(content)
    if n == 0:
        return 0
    single, multi = (160, 153) if international and set(content) <= GSM7 else (70, 67)
    return 1 if n <= single else math.ceil(n / multi)


def has_signature(content: str) -> bool:
    """Mainland traffic needs a 【签名】 at the start or end."""
    text = content.strip()
    return any(m.start() == 0 or m.end() == len(text) for m in SIGNATURE.finditer(text))


@dataclass
class Recipients:
    valid: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    #: Why each of ``invalid`` is not a number to send to (see :func:`read_mobile`).
    reasons: dict[str, str] = field(default_factory=dict)

    def problems(self, most: int = 5) -> str:
        """The first ``most`` invalid numbers with their reasons, one a line."""
        lines = [f"{t}: {self.reasons.get(t, '')}" for t in self.invalid[:most]]
        if len(self.invalid) > most:
            lines.append(_("… and {n} more").format(n=len(self.invalid) - most))
        return "\n".join(lines)


def split_numbers(text: str) -> list[str]:
    return [t for t in re.split(r"[\s,;，；、]+", text) if t]


#: A mainland mobile as the platform takes it: 11 digits, 13… to 19….
MAINLAND = re.compile(r"1[3-9][0-9]{9}")
#: How an international number is written, in the reasons that ask for one.
INTERNATIONAL_EXAMPLE = "+447874321404"


def international(mobile: str) -> bool:
    """Whether ``mobile`` (as :func:`read_mobile` returns it) is outside the mainland."""
    return MAINLAND.fullmatch(mobile) is None


def read_mobile(token: str) -> str:
    """``token`` as the platform takes it, or ValueError saying why it cannot be sent to.

    Bare digits are a mainland mobile (11 digits, 13… to 19…, optionally after 86); an
    international number needs ``+`` or ``00`` and its country code, and goes out as country
    code + number without them (§13.4).  So a mistyped mainland number is refused, never
    read as another country's: ``12345678901`` is not +1 234 567 8901.  A number abroad
    whose digits read as a mainland mobile (+1 312 …: ``1312…``) is refused too: the
    platform cannot tell it from one.  Full-width digits and ``＋`` (a Chinese input method's)
    are read as ASCII; digits of other scripts are refused, never sent as they are.
    """
    digits = re.sub(r"[\s\-()]", "", unicodedata.normalize("NFKC", token))
    if not digits:
        raise ValueError(_("no number"))
    abroad = digits.startswith(("+", "00"))
    body = digits[1:] if digits.startswith("+") else digits[2:] if abroad else digits
    if not (body.isascii() and body.isdigit()):
        raise ValueError(_("not a phone number"))
    if body.startswith("86") and (abroad or len(body) == 13):
        if MAINLAND.fullmatch(body[2:]):
            return body[2:]
        raise ValueError(_("+86 but not a mainland mobile (11 digits, 13… to 19…)"))
    if not abroad:
        if MAINLAND.fullmatch(body):
            return body
        raise ValueError(
            _(
                "not a mainland mobile (11 digits, 13… to 19…); a number abroad is written "
                "with + or 00 and its country code, e.g. {example}"
            ).format(example=INTERNATIONAL_EXAMPLE)
        )
    import phonenumbers  # international numbers only; its metadata costs start-up

    try:
        number = phonenumbers.parse("+" + body, None)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValueError(_("not a valid international number (country code, then the number)"))
    wire = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:]
    if not international(wire):
        raise ValueError(
            _("goes out as {wire}, which the platform reads as a mainland mobile").format(wire=wire)
        )
    return wire


def parse_recipients(text: str) -> Recipients:
    """Typed or pasted numbers → valid (in order, deduplicated), invalid (with the reason),
    duplicates."""
    out, seen = Recipients(), set()
    for token in split_numbers(text):
        try:
            mobile = read_mobile(token)
        except ValueError as exc:
            out.invalid.append(token)
            out.reasons[token] = str(exc)
            continue
        if mobile in seen:
            out.duplicates.append(mobile)
        else:
            seen.add(mobile)
            out.valid.append(mobile)
    return out


def one_mobile(text: str) -> str:
    """Exactly one valid number (a lookup or a removal), or ValueError saying what was typed."""
    recipients = parse_recipients(text)
    if recipients.invalid:
        raise ValueError(recipients.problems(1))
    if len(recipients.valid) != 1:
        raise ValueError(_("not one valid mobile number: {text!r}").format(text=text))
    return recipients.valid[0]


def template_variables(items: Iterable[str]) -> dict[str, str]:
    """``NAME=VALUE`` items as template variables keyed ``{NAME}``, as the platform wants them.

    Raises ValueError on the first item that is not ``NAME=VALUE``: a variable silently
    dropped would send the template with a hole in it.
    """
    variables: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ValueError(_("template variable {item!r}: use NAME=VALUE").format(item=item))
        variables[name if name.startswith("{") else f"{{{name}}}"] = value
    return variables
