from django.apps import AppConfig


class BenchConfig(AppConfig):
    """Installed only for its management command (`generate_load`); bench has no models and no URLs of its own
    in the project's URLconf."""

    name = "bench"
    verbose_name = "Benchmarks"
