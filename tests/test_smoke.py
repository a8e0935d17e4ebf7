import pytest

from stakeholders.models import Role


@pytest.mark.django_db
def test_role_catalogue_is_seeded_with_sourced_responsibilities():
    roles = Role.objects.prefetch_related("responsibilities")
    assert roles.count() == 13
    for role in roles:
        assert role.responsibilities.count() >= 3, role.code
        assert all(r.source for r in role.responsibilities.all())


@pytest.mark.django_db
def test_schema_renders(api):
    assert api.get("/api/schema/").status_code == 200
