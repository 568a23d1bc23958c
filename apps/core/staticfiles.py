"""Static files as production serves them (whitenoise: hashed names, compressed copies), without
the libraries' source maps.

Source maps are for a developer's browser tools; no page loads them, and they were over half of
what every deploy, `make serve` and the served tests collected and compressed (Swagger UI's and
ReDoc's alone are several MB). `StaticFilesWithoutUnusedConfig` (apps/core/apps.py) leaves them
out of collectstatic, and this storage leaves the files' `sourceMappingURL` comments as they are
instead of requiring the map to exist (a browser's tools then report the map as not found)."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


def _without_source_maps(patterns):
    return tuple(
        (
            extension,
            tuple(p for p in rules if "sourceMappingURL" not in (p if isinstance(p, str) else p[0])),
        )
        for extension, rules in patterns
    )


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    patterns = _without_source_maps(CompressedManifestStaticFilesStorage.patterns)
