"""Finding, creating and changing tenants."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from subscriptions.models import Tenant
from subscriptions.validation import validate_metadata, validate_tenant_uid


def resolve_tenant(tenant):
    """A ``Tenant`` from a tenant object or the host's id; an unknown id is created."""
    if isinstance(tenant, Tenant):
        return tenant
    validate_tenant_uid(tenant)
    found = Tenant.objects.filter(uid=tenant).first()
    if found:
        return found
    try:
        with transaction.atomic():
            return Tenant.objects.create(uid=tenant)
    except IntegrityError:  # created concurrently
        return Tenant.objects.get(uid=tenant)


def create_tenant(uid, *, name="", metadata=None, contact_email=""):
    validate_tenant_uid(uid)
    validate_metadata(metadata or {})
    if Tenant.objects.filter(uid=uid).exists():
        raise ValidationError({"uid": f"A tenant {uid!r} exists already."}, code="unique")
    return Tenant.objects.create(uid=uid, name=name, metadata=metadata or {},
                                 contact_email=contact_email)


def update_tenant(tenant, **changes):
    if "metadata" in changes:
        validate_metadata(changes["metadata"])
    for field in ("name", "metadata", "contact_email"):
        if field in changes:
            setattr(tenant, field, changes[field])
    tenant.save()
    return tenant
