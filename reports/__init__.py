"""Report data and charts: `reports.dashboard` (the numbers of a listening dashboard, through the mention
store protocol) and `reports.charts` (self-contained Vega-Lite specs of them, for the web UI and for
reports rendered server-side)."""
