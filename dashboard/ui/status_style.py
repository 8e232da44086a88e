"""How a pace status looks, in one place for badges, charts and the map. Pure."""
from data_access.kpis.metrics import STATUS_AHEAD, STATUS_BEHIND, STATUS_ON_PACE

STATUS_COLOURS = {STATUS_AHEAD: "#1a7f37", STATUS_ON_PACE: "#1f6feb", STATUS_BEHIND: "#cf222e"}
# An icon beside every status word, so that the status never depends on colour alone.
STATUS_ICONS = {STATUS_AHEAD: "▲", STATUS_ON_PACE: "●", STATUS_BEHIND: "▼"}
# Streamlit markdown badge colours for the same statuses.
STATUS_BADGES = {STATUS_AHEAD: "green", STATUS_ON_PACE: "blue", STATUS_BEHIND: "red"}
