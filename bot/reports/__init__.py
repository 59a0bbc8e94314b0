"""Staff reports outside the chat: charts (matplotlib, Agg), the HTML report page and feedback exports
(CSV, XLSX, JSON).

- ``labels``: every word of charts, captions and the report page per staff language, and the export codebook's;
- ``captions``: the sentence under each chart saying what to look at;
- ``fonts``: finding a font with Chinese glyphs and registering it with matplotlib (``python -m bot.reports.fonts``
  checks a machine);
- ``charts``: ``bot.core.staff.stats.Stats`` → PNG images (``MatplotlibCharts`` is the core's ``ChartRenderer``);
  ``rooms_chart`` draws the community rooms' use, ``drawing`` holds what every chart shares;
- ``html``: ``python -m bot report``'s index.html;
- ``table``, ``export``: one row per submission with a codebook, cells made safe for spreadsheets, and the writers.

The figures themselves are computed in the core (``bot.core.staff.stats``), so /stats and the report agree.
"""
