"""Message arithmetic and recipient validation, shared by the CLI and the send form."""

from __future__ import annotations

import math
import re
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


def split_numbers(text: str) -> list[str]:
    return [t for t in re.split(r"[\s,;，；、]+", text) if t]


def normalize_mobile(token: str) -> str | None:
    """A mainland mobile as 11 digits, an international one as country code + number."""
    raw = token.strip()
    digits = re.sub(r"[\s\-()]", "", raw)
    if re.fullmatch(r"1[3-9]\d{9}", digits):
        return digits
    if re.fullmatch(r"(\+?86)1[3-9]\d{9}", digits):
        return digits[-11:]
    import phonenumbers  # international numbers only; its metadata costs start-up

    try:
        number = phonenumbers.parse(digits if digits.startswith("+") else f"+{digits}", None)
    except phonenumbers.NumberParseException:
        return None
    if number.country_code == 86 or not phonenumbers.is_valid_number(number):
        return None
    return f"{number.country_code}{number.national_number}"


def parse_recipients(text: str) -> Recipients:
    """Typed or pasted numbers → valid (in order, deduplicated), invalid, duplicates."""
    out, seen = Recipients(), set()
    for token in split_numbers(text):
        mobile = normalize_mobile(token)
        if mobile is None:
            out.invalid.append(token)
        elif mobile in seen:
            out.duplicates.append(mobile)
        else:
            seen.add(mobile)
            out.valid.append(mobile)
    return out


def one_mobile(text: str) -> str:
    """Exactly one valid number (a lookup or a removal), or ValueError saying what was typed."""
    recipients = parse_recipients(text)
    if len(recipients.valid) != 1 or recipients.invalid:
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
