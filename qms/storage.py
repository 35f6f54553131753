from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Hashed, compressed static files served by whitenoise.

    viewflow 2.4.0 ships a stylesheet (fonts/roboto/node_modules/…/roboto-fontface.css)
    that refers to font files it does not include; keep such references unhashed
    instead of failing the whole build. Files that exist are hashed as usual.
    """

    def hashed_name(self, name, content=None, filename=None):
        try:
            return super().hashed_name(name, content, filename)
        except ValueError:
            if "node_modules" in (filename or name):
                return name
            raise
