"""Pure presentation helpers the console and the tenant portal share, so both show the same.

The chart's geometry and how values read (status tones, JSON, milliseconds):
no view, no ModelAdmin, no request; the admin and the portal, which never
import each other, both import these.
"""
