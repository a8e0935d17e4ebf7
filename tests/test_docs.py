import pytest


@pytest.mark.django_db
def test_the_api_docs_load_their_assets_from_this_server_not_a_cdn(api):
    """Customs networks are often closed: the docs UI must work without the internet."""
    page = api.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn." not in page and "https://" not in page.split("<body")[0]
