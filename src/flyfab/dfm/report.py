"""DFM findings as JSON (part of the analysis document, and `flyfab dfm --json`)."""

from __future__ import annotations

from typing import Any

from flyfab.dfm.checks import DfmReport


def dfm_json(report: DfmReport) -> dict[str, Any]:
    return {
        "profile": report.profile,
        "classes": report.classes,
        "min_class": report.min_class,
        "findings": [
            {
                "rule": f.rule,
                "severity": f.severity,
                "layer": f.layer,
                "measured_mm": f.measured_mm,
                "required_mm": f.required_mm,
                "count": f.count,
                "locations": [list(p) for p in f.locations],
                "message": f.message,
                "upgrade_to": f.upgrade_to,
            }
            for f in report.findings
        ],
    }
