from django.apps import AppConfig


class HookplatformConfig(AppConfig):
    """The standalone project as an app, so that its system checks run (``manage.py check``, start-up)."""

    name = "hookplatform"

    def ready(self):
        from hookplatform import checks  # noqa: F401  (registers them)
