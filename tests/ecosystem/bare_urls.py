"""A host's URLconf that mounts neither the REST API nor the ops pages (both are optional)."""

urlpatterns = []
