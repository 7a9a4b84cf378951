"""The shipped systemd unit keeps its hardening: a private umask and a sandbox."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

UNIT = Path(__file__).parents[2] / "data" / "monitoring" / "fivec-tui.service"


def service() -> dict[str, list[str]]:
    """The [Service] section; a key may repeat (systemd adds them up)."""
    section, out = "", defaultdict(list)
    for line in UNIT.read_text("utf-8").splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[Service]" and line and not line.startswith("#"):
            key, _, value = line.partition("=")
            out[key].append(value)
    return out


def test_unit_is_private_and_sandboxed():
    s = service()
    one = {k: v[-1] for k, v in s.items()}
    assert one["UMask"] == "0077" and one["StateDirectoryMode"] == "0700"
    for key, value in {
        "NoNewPrivileges": "true",
        "ProtectSystem": "strict",
        "ProtectHome": "true",
        "PrivateTmp": "true",
        "PrivateDevices": "true",
        "ProtectKernelTunables": "true",
        "ProtectControlGroups": "true",
        "RestrictSUIDSGID": "true",
        "LockPersonality": "true",
        "MemoryDenyWriteExecute": "true",
        "SystemCallArchitectures": "native",
        "CapabilityBoundingSet": "",
    }.items():
        assert one.get(key) == value, key
    assert set(one["RestrictAddressFamilies"].split()) == {"AF_INET", "AF_INET6", "AF_UNIX"}
    assert "@system-service" in s["SystemCallFilter"]
    # The one writable place is the service user's home (config, cache, log), as installed.
    assert one["StateDirectory"] == "fivec-tui"
    assert "--home /var/lib/fivec-tui" in UNIT.read_text("utf-8")
    assert " poll " in one["ExecStart"]
