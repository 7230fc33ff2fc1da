from django.db import models

from shop.models import Account


class Subscription(models.Model):
    """An account's plan with the shop (a billing subscription, not a webhook subscription)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="subscriptions")
    plan = models.CharField(max_length=50)
    renews_on = models.DateField()

    def __str__(self):
        return f"{self.account} on {self.plan}"
