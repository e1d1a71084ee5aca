"""Small helpers for the GraphCL Studio pages: session state and URL, job registry, figures, downloads.

Nothing here trains or evaluates anything: learning logic lives in ``graphcl_core``.
"""
