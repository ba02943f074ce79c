"""booklet: one Markdown source, many print-ready PDF booklets.

The pipeline, one module per stage:
content (Markdown + front matter → Section data, with extensions for audience blocks and
citations) → render (Jinja → print HTML, sanitised) → pdf (WeasyPrint → tagged PDF bytes)
→ impose / splice (saddle-stitch sheets; clinic pages into a shared layout) → printshop /
printpack (slug, crop and fold marks; the job sheet) → output (atomic files + manifest) →
checks (quality report). config and clinic hold the validated settings, project and batch
plan and run the jobs, report is the one place that talks to the user.
"""
