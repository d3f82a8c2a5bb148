"""Brand managers' reports and dashboards.

- `reports.brands`, `reports.definitions`, `reports.period`, `reports.schedule`: what a report is about,
  covers and when it runs; `reports.store` keeps brands and definitions per workspace;
- `reports.data` (the numbers), `reports.build` (from store aggregations), `reports.render` (HTML, PDF,
  CSV, XLSX with server-side SVG charts) in the words of `reports.labels` (English and Chinese),
  `reports.archive` (built reports on disk); `reports.testing`: a hand-made sample report;
- `reports.dashboard` and `reports.charts`: the listening dashboard's numbers and its Vega-Lite specs,
  shared by the web UI and the rendered reports.
"""
