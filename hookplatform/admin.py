"""The standalone project's own admin branding (Django's autodiscover imports this, as for any app).

A host that embeds ``subscriptions`` and ``delivery`` does not install this
app, so it keeps its own header, sidebar and index page; the webhook
dashboard stays reachable from the deliveries list there.
"""

from django.contrib import admin

admin.site.site_header = "hookplatform console"
admin.site.site_title = "hookplatform"
admin.site.index_title = "Webhooks"
admin.site.index_template = "admin/hookplatform/index.html"  # links the webhook dashboard from the index
admin.site.enable_nav_sidebar = False  # the lists are wide; the index and breadcrumbs lead everywhere
