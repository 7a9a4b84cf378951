"""The simulator's sub-account endpoint (§11 ``/api/user/``): register, lock, info, charge."""

from __future__ import annotations

import hashlib
from decimal import Decimal

from .state import Account, Platform, SimError
from .wire import field as _s


def user(platform: Platform, account: Account, fields: dict[str, bytes]) -> str:
    """``action`` reg, lock, info or charge on a sub-account of ``account`` (§11)."""
    action, child = _s(fields, "action"), _s(fields, "childUsername")
    if not child:
        raise SimError("Missing childUsername parameter")
    if action == "reg":
        return _reg(platform, account, child, fields)
    target = platform.accounts.get(child)
    if target is None or target.parent != account.username:
        raise SimError("APIKEY or password error")
    if action == "lock":
        lock = _s(fields, "lockUserValue") == "1"
        target.blocked = lock
        return "success:Lock user success" if lock else "success:Unlock user success"
    if action == "info":
        if _s(fields, "queryApikey") == "1":
            return f"success:{target.apikey}"
        return "success:Account is locked" if target.blocked else "success:Account is normal"
    if action == "charge":
        try:
            amount = Decimal(_s(fields, "chargeNumber"))
        except ArithmeticError:
            raise SimError("Missing message content") from None
        if amount > 0 and account.balance < amount:
            raise SimError("Account balance is insufficient")
        account.balance -= amount
        target.balance += amount
        target.total += max(amount, Decimal(0))
        return "success:Operation subaccount recharge success"
    raise SimError(f"Unknown action {action}")


def _reg(platform: Platform, account: Account, child: str, fields: dict[str, bytes]) -> str:
    if len(child) < 6:
        raise SimError("childUsername minimum length of 6 bits")
    if len(child) > 15:
        raise SimError("childUsername max length of 15 bits")
    if not child.isalnum():
        raise SimError("RegUsername contains special characters")
    password = _s(fields, "regPassword")
    if not password:
        raise SimError("Missing regPassword parameter")
    if not password.isalnum():
        raise SimError("regPassword contains special characters")
    if child in platform.accounts:
        raise SimError("Username already exists")
    if sum(a.parent == account.username for a in platform.accounts.values()) >= 20:
        raise SimError("Child account reached the upper limit")
    platform.add_account(
        Account(
            child,
            hashlib.md5(password.encode()).hexdigest(),
            hashlib.md5(f"{child}:{password}".encode()).hexdigest(),
            Decimal(0),
            Decimal(0),
            parent=account.username,
            contact_mobile=_s(fields, "regContactMobile"),
            company=_s(fields, "regCompanyName"),
        )
    )
    return "success:User added successfully"
