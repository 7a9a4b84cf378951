"""What ``doctor`` finds, one :class:`Check` a finding (:mod:`.doctor`, :mod:`.doctor_audit`)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Check:
    """One finding: ``status`` is ok, problem, fixed or skipped."""

    check: str
    status: str
    subject: str
    detail: str
    fix: str = ""
    #: What ``--json`` carries beside the words (the cache's rebuild: what it recovered).
    facts: dict = field(default_factory=dict)

    @property
    def problem(self) -> bool:
        return self.status == "problem"
