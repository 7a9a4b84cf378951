"""Bulk sends from a file: read, validate, price, group into requests, send paced, settle.

``source`` reads the file (CSV in UTF-8 or GBK, XLSX with the ``xlsx`` extra); ``validate``
checks every row and prices the valid ones; ``plan`` groups them into the platform's fastest
requests; ``run`` sends them through the campaign journal (:mod:`fivec_tui.store.campaigns`),
paced by ``pacer``; ``settle`` decides unknown outcomes from the send records; ``outputs``
writes the results and rejects beside the input.
"""
