"""Settings package.

``base`` is the one settings module, driven by environment variables (README "Configuration");
``test`` adds the defaults a test run needs before loading it.
"""
