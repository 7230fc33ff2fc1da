"""Finding, creating and changing tenants."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from subscriptions.models import Tenant
from subscriptions.validation import validate_each, validate_metadata, validate_tenant_uid, validate_text

MAX_NAME = 255
MAX_EMAIL = 254


def _validate_fields(changes):
    """The editable fields given, as their columns can store them; errors keyed by field."""
    validate_each(changes, {
        "name": lambda v: validate_text(v, "name", MAX_NAME),
        "contact_email": _validate_contact_email,
        "metadata": validate_metadata,
    })


def _validate_contact_email(email):
    validate_text(email, "contact_email", MAX_EMAIL)
    if email:
        validate_email(email)


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
    _validate_fields({"name": name, "contact_email": contact_email, "metadata": metadata or {}})
    if Tenant.objects.filter(uid=uid).exists():
        raise ValidationError({"uid": f"A tenant {uid!r} exists already."}, code="unique")
    return Tenant.objects.create(uid=uid, name=name, metadata=metadata or {},
                                 contact_email=contact_email)


def update_tenant(tenant, **changes):
    _validate_fields({name: changes[name] for name in ("name", "contact_email", "metadata") if name in changes})
    for field in ("name", "metadata", "contact_email"):
        if field in changes:
            setattr(tenant, field, changes[field])
    tenant.save()
    return tenant
