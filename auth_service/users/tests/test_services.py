import pytest
from django.core.exceptions import ValidationError

from users.models import User
from users.people import services

pytestmark = pytest.mark.django_db


def test_user_register_normalises_the_email_and_hashes_with_argon2() -> None:
    user = services.user_register(email="  Mixed.Case@Example.COM ", password="a-long-passphrase-9")
    assert user.email == "mixed.case@example.com"
    assert user.password.startswith("argon2")
    assert user.check_password("a-long-passphrase-9")


def test_user_register_refuses_a_password_similar_to_the_email() -> None:
    with pytest.raises(ValidationError):
        services.user_register(email="margaret.hamilton@example.com", password="margaret.hamilton")


def test_email_uniqueness_is_enforced_by_the_database_ignoring_case() -> None:
    User.objects.create_user(email="one@example.com", password="a-long-passphrase-9")
    with pytest.raises(Exception, match=r"users_user_email_ci_unique|duplicate key"):
        User.objects.bulk_create([User(email="ONE@example.com", password="x")])


def test_seeded_superuser_has_every_role() -> None:
    admin = User.objects.create_superuser(email="root@example.com", password="a-long-passphrase-9")
    assert set(admin.roles) == {"customer", "staff", "admin"}
    assert admin.is_staff and admin.is_superuser
