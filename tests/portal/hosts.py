"""A host's WEBHOOKS_PORTAL_TENANT function, as a host writes it: the signed-in user's organisation."""


def tenant_of_user(request):
    user = request.user
    return f"org_{user.username}" if user.is_authenticated else None
