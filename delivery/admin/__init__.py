"""The operator's console: the Django admin of both apps, one module per part.

Django's autodiscover imports ``delivery.admin``; importing the parts here
registers every model of ``subscriptions`` and ``delivery`` with the admin
site.  The URL names stay those of each model's app
(``admin:hookplatform_subscriptions_endpoint_change``, ``admin:hookplatform_delivery_delivery_change``).
The standalone project brands its own site (``hookplatform/admin.py``); a host
that embeds the apps keeps Django's.
"""

from delivery.admin import api_keys, catalogue, deliveries, endpoints, log, tenants  # noqa: F401  (register)
