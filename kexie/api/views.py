"""The OpenAPI document and its two readers, served from drf-spectacular-sidecar's static files (no CDN)."""

from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny

schema = SpectacularAPIView.as_view(permission_classes=[AllowAny])
# GET and HEAD only: their HTML renderer has no template for DRF's OPTIONS metadata (that answered 500).
READERS_METHODS = ["get", "head"]
swagger = SpectacularSwaggerView.as_view(
    url_name="api:schema", permission_classes=[AllowAny], http_method_names=READERS_METHODS
)
redoc = SpectacularRedocView.as_view(url_name="api:schema", permission_classes=[AllowAny], http_method_names=READERS_METHODS)
