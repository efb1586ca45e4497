"""End to end in a real browser (Debian's Chromium, driven by Playwright): a customer signs up,
uploads a corpus board, sees the pictures and the price, orders and checks out; staff record the
payment and approve the data; the customer sees it approved. Screenshots of each step are kept in
artifacts/e2e/."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from flyfab.services.bootstrap import STAFF_EMAIL
from tests.conftest import ROOT
from tests.platform_support import PASSWORD, Factory, fresh_database, running_factory, zipped_board

CHROMIUM = "/usr/bin/chromium"
SHOTS = ROOT / "artifacts" / "e2e"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (.ci/run does)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Factory]:
    folder = tmp_path_factory.mktemp("browser")
    with fresh_database("sqlite", folder) as url, running_factory(folder, url) as f:
        yield f


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_customer_orders_and_staff_approve(browser: Browser, factory: Factory, tmp_path: Path) -> None:
    shutil.rmtree(SHOTS, ignore_errors=True)
    board = tmp_path / "ts-arduino-uno.zip"
    board.write_bytes(zipped_board("ts-arduino-uno"))

    customer = browser.new_page()
    customer.goto(factory.url + "/signup")
    customer.fill("#email", "maker@example.com")
    customer.fill("#password", PASSWORD)
    customer.click("button[type=submit]")
    expect(customer.locator("#dropzone")).to_be_visible()
    shot(customer, "01-signed-up")

    # Drop the archive (the hidden file input behind the drop zone): upload with progress, then
    # the result page, which updates itself until the analysis is done.
    customer.set_input_files("#file", str(board))
    customer.wait_for_url(re.compile(r".*/uploads/[0-9a-f]{32}$"), timeout=60_000)
    expect(customer.locator("#pic-top")).to_be_visible(timeout=600_000)
    width = customer.eval_on_selector("#pic-top", "img => img.naturalWidth")
    assert width == 1200, "the top picture did not load"
    expect(customer.locator("#price .total")).to_contain_text("EUR", timeout=60_000)
    first_price = customer.locator("#price .total").inner_text()
    shot(customer, "02-analysed-and-priced")

    # The price follows the options.
    customer.fill("#quantity", "50")
    expect(customer.locator("#price .total")).not_to_have_text(first_price, timeout=30_000)
    customer.select_option("#opt-surface_finish", "ENIG")
    expect(customer.locator("#price")).to_contain_text("ENIG", timeout=30_000)
    shot(customer, "03-options")

    customer.click("#order")
    customer.wait_for_url(re.compile(r".*/orders/[0-9a-f]{32}$"))
    expect(customer.locator("#state")).to_have_text("placed")
    order_url = customer.url
    customer.click("button[data-action=checkout]")
    expect(customer.locator("#state")).to_have_text("awaiting payment")
    customer.fill("textarea[name=body]", "Please use a matte black mask if you can.")
    customer.click("text=Send")
    expect(customer.locator(".message")).to_contain_text("matte black")
    shot(customer, "04-ordered")

    staff = browser.new_context().new_page()
    staff.goto(factory.url + "/signin")
    staff.fill("#email", STAFF_EMAIL)
    assert factory.staff_password is not None
    staff.fill("#password", factory.staff_password)
    staff.click("button[type=submit]")
    staff.goto(factory.url + "/staff")
    expect(staff.locator("main")).to_contain_text("FF-")
    staff.goto(order_url)
    expect(staff.locator(".message")).to_contain_text("matte black")
    staff.click("button[data-action=record_payment]")
    expect(staff.locator("#state")).to_have_text("CAM review")
    staff.click("button[data-action=approve]")
    expect(staff.locator("#state")).to_have_text("approved")
    shot(staff, "05-approved-by-staff")
    staff.goto(factory.url + "/staff/audit")
    expect(staff.locator("main")).to_contain_text("approved")
    shot(staff, "06-audit-log")

    customer.reload()
    expect(customer.locator("#state")).to_have_text("approved")
    expect(customer.locator("#timeline")).to_contain_text("CAM review")
    shot(customer, "07-customer-sees-approval")
