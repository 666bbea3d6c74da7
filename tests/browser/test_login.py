import pytest
from playwright.sync_api import expect

from schools.roles import Role
from tests.factories import staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_through_the_real_page_reaches_the_dashboard(page, live_server, login, screenshot):
    user = staff(Role.IB, first_name="Ilse", last_name="de Boer")
    login(user)
    assert page.url == f"{live_server.url}/"
    assert page.get_by_role("heading", level=1).inner_text() == "Welkom, Ilse de Boer"
    screenshot("dashboard-ib")


def test_phone_width_login_page(page, live_server, screenshot):
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{live_server.url}/account/login/")
    expect(page.get_by_role("heading", name="Inloggen")).to_be_visible()
    screenshot("login-phone")
