"""``?endpoint=``, ``?event=``, ``?status=`` on a tenant's deliveries; ``?delivery=`` on attempts."""

import django_filters

from delivery.models import Delivery


class DeliveryFilter(django_filters.FilterSet):
    endpoint = django_filters.CharFilter(field_name="endpoint_id", max_length=40,
                                         help_text="An endpoint id (ep_...).")
    event = django_filters.CharFilter(field_name="event_id", max_length=40, help_text="An event id (msg_...).")
    status = django_filters.ChoiceFilter(choices=Delivery.Status.choices)

    class Meta:
        model = Delivery
        fields = ["endpoint", "event", "status"]
