"""booklet: one Markdown source, many print-ready PDF booklets.

The pipeline, one module per stage:
content (Markdown + front matter → Section data) → render (Jinja → print HTML)
→ pdf (WeasyPrint → PDF bytes) → output (atomic files + manifest) → checks (quality report).
"""
