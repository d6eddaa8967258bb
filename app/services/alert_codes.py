"""Alert codes and their names, for the superfluous alerts tracker."""

# GBCS alert codes seen in alert storms, with their names: 8014/8015 are the codes the
# seed papers name ("8014 & 8015 … in excess of 2 million a day"), 8F35 the one DESIGN uses;
# the names are those of the GBCS alert list as printed in SMETS2 meter manuals.
ALERT_NAMES = {
    "8010": "Over Current",
    "8014": "Power Factor Threshold Below",
    "8015": "Power Factor Threshold OK",
    "8091": "RMS Voltage above Voltage Swell Threshold",
    "8099": "RMS Voltage below Voltage Sag Threshold",
    "8183": "Device joined SMHAN",
    "81A3": "CH Disconnected from ESME",
    "8F1B": "Firmware Verification Failed At Power On",
    "8F35": "Supply Outage Restored",
    "8F36": "Supply Outage Restored - Outage >= 3 minutes",
    "8F48": "Device joining failed",
    "8F49": "Device joining succeeded",
}


def alert_label(code: str) -> str:
    """'8F35 Supply Outage Restored'; an unknown code is just the code."""
    name = ALERT_NAMES.get(code)
    return f"{code} {name}" if name else code
