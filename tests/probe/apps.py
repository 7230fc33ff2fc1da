from django.apps import AppConfig


class ProbeConfig(AppConfig):
    name = "tests.probe"
    label = "probe"

    def ready(self):
        from tests.probe import recorder

        recorder.connect()
