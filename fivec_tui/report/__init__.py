"""The post-incident report (``fivec-tui report``): numbers from the cache as they were known at
the span's end (``data``), charts drawn by matplotlib (``charts``, the ``report`` extra), and
the same sections as one self-contained HTML file (``html``) or Markdown tables (``markdown``).
"""
