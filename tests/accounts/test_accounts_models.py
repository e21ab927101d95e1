"""Accounts: how passwords are kept."""

from facilitation.accounts.models import Account


def test_password_is_stored_only_as_a_salted_hash(create_account):
    first = create_account(email="a@example.org", password="ein-langes-passwort")
    second = create_account(email="b@example.org", password="ein-langes-passwort")

    assert "ein-langes-passwort" not in first.password_hash
    assert first.password_hash != second.password_hash
    assert first.check_password("ein-langes-passwort")
    assert not first.check_password("ein-langes-passwort ")


def test_inactive_account_is_not_active_for_flask_login():
    account = Account(email="x@example.org", is_active_account=False)

    assert account.is_active is False


def test_display_name_falls_back_to_email():
    assert Account(email="x@example.org", name="").display_name == "x@example.org"
    assert Account(email="x@example.org", name="Xaver").display_name == "Xaver"
