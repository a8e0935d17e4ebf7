"""OpenAPI descriptions of the project's authentication classes (drf-spectacular).

Loaded from ``StakeholdersConfig.ready()`` so every schema run knows both schemes.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "aeo_registry.authentication.HashedTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <token>` from POST /api/v1/auth/token/ (expires).",
        }


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "aeo_registry.authentication.ApiKeyAuthentication"
    name = "apiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <key>` for risk engines (create_api_key command).",
        }
