"""The shop's own data: accounts (its customers, who receive webhooks) and their orders."""

from django.conf import settings
from django.db import models


class Account(models.Model):
    """A business buying from the shop; its ``uid`` is its tenant id in hookplatform."""

    uid = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    # The shop's users who run this account: they manage its webhooks in the portal (shop.webhooks.portal_tenant).
    owners = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="accounts")

    def __str__(self):
        return self.name


class Order(models.Model):
    class Status(models.TextChoices):
        PLACED = "placed"
        PAID = "paid"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="orders")
    number = models.CharField(max_length=32, unique=True)
    total_cents = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PLACED)
    placed_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return self.number
