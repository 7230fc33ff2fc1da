from django.db import models


class Order(models.Model):
    """Saving one sends one webhook per subscribed URL (django-webhook's post_save signal)."""

    n = models.IntegerField()
    padding = models.TextField()
