"""The OpenAPI document and its two readers, served from drf-spectacular-sidecar's static files (no CDN)."""

from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny

schema = SpectacularAPIView.as_view(permission_classes=[AllowAny])
swagger = SpectacularSwaggerView.as_view(url_name="api:schema", permission_classes=[AllowAny])
redoc = SpectacularRedocView.as_view(url_name="api:schema", permission_classes=[AllowAny])
