"""The tenant portal: server-rendered pages where a host's customers manage their own webhooks.

A host mounts ``hookplatform.portal_urls``; ``access`` decides whose portal a
request sees, ``rendering`` draws the branded pages, and the views call the
same domain functions as the API and the admin.
"""
