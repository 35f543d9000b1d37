"""A real browser (Debian's headless chromium through Playwright) on the stack's UI: log in, open
cbbd_backfill's trigger form, see every param's title, pick a season, trigger, find the run.

Screenshots go to the artifacts folder. Without chromium the test skips, except on CI (CI=true), where
a missing browser is a failure: CI installs it (`.ci/run`).
"""

from __future__ import annotations

import os
import re
import shutil
import time

import pytest

pytestmark = pytest.mark.xdist_group("e2e-stack")  # one worker runs them all: one stack

CHROMIUM = os.environ.get("HOOPS_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DAG_ID = "cbbd_backfill"


@pytest.fixture
def page(stack, artifacts):
    if not (shutil.which(CHROMIUM) or os.path.exists(CHROMIUM)):
        reason = f"no chromium at {CHROMIUM} (apt-get install chromium chromium-driver)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(60_000)
        try:
            yield page
        finally:
            page.screenshot(path=str(artifacts / "browser-last.png"), full_page=True)
            browser.close()


def test_trigger_cbbd_backfill_from_the_form_and_find_the_run(stack, page, artifacts):
    api, base = stack.api, stack.info["base_url"]
    params = api.get(f"/dags/{DAG_ID}/details")["params"]
    before = {r["dag_run_id"] for r in api.runs(DAG_ID)}

    page.goto(f"{base}/dags/{DAG_ID}")
    page.fill("input[name=username]", stack.info["user"])
    page.fill("input[name=password]", stack.info["password"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**/dags/{DAG_ID}**")
    page.get_by_role("button", name="Trigger").first.click()
    dialog = page.locator("[role=dialog][data-state=open]")
    dialog.get_by_text("Run Parameters").wait_for()
    for name, param in params.items():
        title = (param.get("schema") or {}).get("title") or name
        label = dialog.get_by_text(
            re.compile(rf"^\s*{re.escape(title)}\s*\*?\s*$")
        )  # "Seasons *" if required
        assert label.count() and label.first.is_visible(), f"{name}: no {title!r} in the form"
    page.screenshot(path=str(artifacts / "browser-1-form.png"), full_page=True)

    page.locator("#element_seasons").click(force=True)  # the pick list (react-select) opens its options
    page.get_by_role("option", name="2020", exact=True).click()
    dialog.get_by_text(
        "Trigger Dag - cbbd_backfill"
    ).click()  # closes the list, not the dialog (Escape would)
    assert dialog.locator("#element_seasons").get_by_text("2020", exact=True).is_visible()
    page.screenshot(path=str(artifacts / "browser-2-seasons.png"), full_page=True)
    dialog.get_by_role("button", name="Trigger").last.click()

    deadline, new = time.monotonic() + 60, []
    while not new and time.monotonic() < deadline:  # the run the form created, by the API
        new = [r for r in api.runs(DAG_ID) if r["dag_run_id"] not in before and r["triggered_by"] == "ui"]
    assert len(new) == 1, new
    run = new[0]
    assert [int(s) for s in run["conf"]["seasons"]] == [2020], run["conf"]

    page.goto(f"{base}/dags/{DAG_ID}/runs")
    page.get_by_text(run["dag_run_id"]).first.wait_for()
    page.screenshot(path=str(artifacts / "browser-3-runs.png"), full_page=True)
    # The form's run repeats the backfill test's season: stop it, it has nothing to show beyond this.
    api.client.patch(f"/api/v2/dags/{DAG_ID}/dagRuns/{run['dag_run_id']}", json={"state": "failed"})
