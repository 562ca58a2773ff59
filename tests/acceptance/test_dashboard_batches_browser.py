"""The Batches pages and the batch rules on the Controls page (/ui) in headless Chromium, against a
server in per-project tenancy whose clock the tests stop and move through the admin API; the SDK on
the other side sees that what the page showed and did is so. Harness as test_dashboard_browser.py."""

from __future__ import annotations

import http.client
import json
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
from mockfiles_kit import Server
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from helpers import chat_line, jsonl_lines
from test_dashboard_browser import browser, shot, submit  # noqa: F401 (the fixture, shared)

WEB = "project:org-a/proj-web"
ETL = "project:org-a/proj-etl"
CONFIG = {"tenancy": "per-project", "apiKeys": ["sk-web=org-a/proj-web", "sk-etl=org-a/proj-etl"]}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    run = tmp_path_factory.mktemp("dashboard-batches")
    config = run / "tenancy.json"
    config.write_text(json.dumps(CONFIG))
    server = Server.start(run / "data", run / "logs", ["--config", str(config), "--batch-timings", "validating=1s,line=10ms,finalizing=1s,cancelling=1s"])
    yield server
    assert server.stop() == 0, server.output()


def admin(server: Server, method: str, path: str, body: Any = None) -> Any:
    answer = httpx2.request(method, f"{server.root_url}/admin/{path}", json=body, timeout=10)
    assert answer.status_code < 500, answer.text
    return answer.json()


@pytest.fixture
def frozen(served: Server) -> Iterator[None]:
    """The clock stopped, so a batch stays where it is until a test moves it; no rules left behind."""
    admin(served, "POST", "clock", {"frozen": True})
    yield
    admin(served, "DELETE", "batch-rules")


def advance(server: Server, seconds: int) -> None:
    admin(server, "POST", "clock", {"advance_seconds": seconds})


def web(server: Server) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key="sk-web", max_retries=0)


def create(client: openai.OpenAI, *lines: Any, metadata: dict[str, str] | None = None) -> Any:
    made = client.files.create(file=("requests.jsonl", jsonl_lines(*lines)), purpose="batch")
    return client.batches.create(input_file_id=made.id, endpoint="/v1/chat/completions", completion_window="24h", metadata=metadata)


def batch_page(browser: webdriver.Chrome, server: Server, batch_id: str, tenant: str = WEB) -> None:
    browser.get(f"{server.root_url}/ui/batches/{batch_id}?tenant={urllib.parse.quote(tenant)}")


def text(browser: webdriver.Chrome, element_id: str) -> str:
    return browser.find_element(By.ID, element_id).text


def test_a_finished_batch_shows_its_counts_schedule_and_result_files(browser: webdriver.Chrome, served: Server, frozen: None, tmp_path: Path) -> None:
    client = web(served)
    admin(served, "POST", "batch-rules", {"match": {"custom_id": "bad"}, "error": {"status_code": 400, "message": "refused by rule"}})
    batch = create(client, chat_line("good"), chat_line("bad"), metadata={"run": "nightly"})
    browser.get(f"{served.root_url}/ui/batches?tenant={urllib.parse.quote(WEB)}")
    row = browser.find_element(By.XPATH, f"//table[@id='batches']//tr[td/a[text()='{batch.id}']]")
    assert row.find_element(By.CLASS_NAME, "status").text == "validating"
    assert [link.text for link in row.find_elements(By.CSS_SELECTOR, "td.files a")] == ["input"], "no result files yet"
    advance(served, 3600)
    # The page is the first to read the batch after it is due: its result files are made by that read.
    browser.refresh()
    row = browser.find_element(By.XPATH, f"//table[@id='batches']//tr[td/a[text()='{batch.id}']]")
    cells = [cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
    seen = client.batches.retrieve(batch.id)
    assert seen.status == "completed" and seen.output_file_id and seen.error_file_id
    assert cells[1:3] == ["/v1/chat/completions", "completed"] and cells[4] == "1 / 1 / 2", cells
    links = {link.text: link.get_attribute("href") for link in row.find_elements(By.CSS_SELECTOR, "td.files a")}
    query = f"?tenant={urllib.parse.quote(WEB, safe='')}"
    assert links == {
        "input": f"{served.root_url}/ui/files/{batch.input_file_id}{query}",
        "output": f"{served.root_url}/ui/files/{seen.output_file_id}{query}",
        "errors": f"{served.root_url}/ui/files/{seen.error_file_id}{query}",
    }, links
    shot(browser, tmp_path, "batches")
    row.find_element(By.LINK_TEXT, batch.id).click()
    WebDriverWait(browser, 5).until(lambda page: page.find_element(By.TAG_NAME, "h1").text == batch.id)
    assert text(browser, "status") == "completed" and text(browser, "counts") == "1 completed, 1 failed, 2 total"
    schedule = {row.find_element(By.TAG_NAME, "th").text: row.find_elements(By.TAG_NAME, "td")[1].text for row in browser.find_elements(By.CSS_SELECTOR, "#schedule tbody tr")}
    for name in ("created_at", "in_progress_at", "finalizing_at", "completed_at", "expires_at"):
        assert schedule[name] == str(getattr(seen, name)), (name, schedule)
    assert schedule["cancelled_at"] == schedule["failed_at"] == "", schedule
    assert "run" in text(browser, "metadata") and "nightly" in text(browser, "metadata")
    assert json.loads(browser.find_element(By.CSS_SELECTOR, "pre.json").text) == json.loads(client.batches.with_raw_response.retrieve(batch.id).http_response.text)
    assert browser.find_elements(By.CSS_SELECTOR, "form[action$='/cancel']") == [], "a finished batch offers no cancel"
    shot(browser, tmp_path, "batch")
    browser.find_element(By.ID, "error-file").click()
    WebDriverWait(browser, 5).until(lambda page: "refused by rule" in page.page_source)
    assert browser.find_element(By.TAG_NAME, "h1").text == client.files.retrieve(seen.error_file_id).filename
    browser.back()
    browser.find_element(By.ID, "output-file").click()
    WebDriverWait(browser, 5).until(lambda page: page.find_element(By.TAG_NAME, "h1").text == client.files.retrieve(seen.output_file_id).filename)
    preview = browser.find_element(By.CSS_SELECTOR, "ol.lines").text
    assert '"custom_id"' in preview and '"good"' in preview and '"bad"' not in preview, preview


def tick_and_cancel(browser: webdriver.Chrome, batch_id: str) -> None:
    browser.find_element(By.ID, "confirm").click()
    submit(browser, f"/ui/batches/{batch_id}/cancel")


def test_a_cancel_waits_for_the_tick_and_then_reaches_the_api(browser: webdriver.Chrome, served: Server, frozen: None, tmp_path: Path) -> None:
    client = web(served)
    batch = create(client, chat_line("a"))
    batch_page(browser, served, batch.id)
    submit(browser, f"/ui/batches/{batch.id}/cancel")  # unticked: the browser keeps the form
    assert client.batches.retrieve(batch.id).status == "validating"
    # And with the browser's check taken away, the server's own: no tick, no cancel.
    browser.execute_script("document.getElementById('confirm').required = false")
    submit(browser, f"/ui/batches/{batch.id}/cancel")
    WebDriverWait(browser, 5).until(lambda page: "Tick the box to cancel." in page.page_source)
    assert client.batches.retrieve(batch.id).status == "validating"
    tick_and_cancel(browser, batch.id)
    WebDriverWait(browser, 5).until(lambda page: f"Cancel asked for {batch.id}: it is cancelling." in page.page_source)
    assert text(browser, "status") == "cancelling" and client.batches.retrieve(batch.id).status == "cancelling"
    assert browser.find_elements(By.ID, "confirm") == [], "no second cancel offered"
    advance(served, 60)
    browser.refresh()
    assert text(browser, "status") == "cancelled" and client.batches.retrieve(batch.id).status == "cancelled"


def test_a_batch_that_finished_after_the_page_loaded_shows_the_apis_409(browser: webdriver.Chrome, served: Server, frozen: None) -> None:
    client = web(served)
    batch = create(client, chat_line("a"))
    batch_page(browser, served, batch.id)
    advance(served, 3600)
    tick_and_cancel(browser, batch.id)
    WebDriverWait(browser, 5).until(lambda page: "Cannot cancel a batch with status 'completed'." in page.page_source)
    assert text(browser, "status") == "completed" and client.batches.retrieve(batch.id).status == "completed"
    with pytest.raises(openai.ConflictError) as refused:
        client.batches.cancel(batch.id)
    assert "Cannot cancel a batch with status 'completed'." in str(refused.value), "the page's words are the API's"


def test_another_tenants_batch_is_neither_listed_nor_shown_nor_cancelled(browser: webdriver.Chrome, served: Server, frozen: None) -> None:
    client = web(served)
    batch = create(client, chat_line("a"))
    openai.OpenAI(base_url=served.base_url, api_key="sk-etl", max_retries=0).files.create(file=("etl.jsonl", b"{}\n"), purpose="batch")
    browser.get(f"{served.root_url}/ui/batches?tenant={urllib.parse.quote(ETL)}")
    assert batch.id not in browser.page_source and "No batches." in browser.page_source
    batch_page(browser, served, batch.id, tenant=ETL)
    assert f"No batch found with id '{batch.id}'." in browser.page_source and browser.find_elements(By.TAG_NAME, "h1") == []
    # The cancel form names its tenant; another one there reaches nothing.
    batch_page(browser, served, batch.id)
    browser.execute_script("document.querySelector('input[name=tenant]').value = arguments[0]", ETL)
    tick_and_cancel(browser, batch.id)
    WebDriverWait(browser, 5).until(lambda page: "No batch found with id" in page.page_source)
    assert client.batches.retrieve(batch.id).status == "validating"


def test_a_cancel_without_the_pages_csrf_token_is_refused(served: Server, frozen: None) -> None:
    client = web(served)
    batch = create(client, chat_line("a"))
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    try:
        body = urllib.parse.urlencode({"tenant": WEB, "confirm": "yes", "csrf": "guess"})
        connection.request("POST", f"/ui/batches/{batch.id}/cancel", body=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
        answer = connection.getresponse()
        assert answer.status == 403 and b"csrf_failed" in answer.read()
    finally:
        connection.close()
    assert client.batches.retrieve(batch.id).status == "validating"


def test_metadata_with_markup_is_shown_as_text(browser: webdriver.Chrome, served: Server, frozen: None) -> None:
    markup = "<img id=injected src=x onerror=alert(1)><b>bold</b>"
    batch = create(web(served), chat_line("a"), metadata={"<i>key</i>": markup})
    batch_page(browser, served, batch.id)
    cells = browser.find_elements(By.CSS_SELECTOR, "#metadata tr > *")
    assert [cell.text for cell in cells] == ["<i>key</i>", markup]
    assert browser.find_elements(By.ID, "injected") == [] and browser.find_elements(By.CSS_SELECTOR, "#metadata b, #metadata i") == []


def rule_rows(browser: webdriver.Chrome) -> list[list[str]]:
    return [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")][:3] for row in browser.find_elements(By.CSS_SELECTOR, "#batch-rules tbody tr")]


def add_rule(browser: webdriver.Chrome, rule: str) -> None:
    field = browser.find_element(By.ID, "batch-rule")
    field.clear()
    field.send_keys(rule)
    submit(browser, "/ui/batch-rules")


def test_batch_rules_are_added_shown_and_removed_on_the_controls_page(browser: webdriver.Chrome, served: Server, frozen: None, tmp_path: Path) -> None:
    client = web(served)
    browser.get(f"{served.root_url}/ui/controls")
    assert rule_rows(browser) == [["No batch rules."]]
    add_rule(browser, '{"match": {"metadata": {"case": "<script>x</script>"}}, "fail": {"errors": [{"code": "too_many", "message": "Failed <b>here</b>", "line": 2}]}}')
    WebDriverWait(browser, 5).until(lambda page: "Added batchrule_" in page.page_source)
    [(rule_id, match, action)] = rule_rows(browser)
    assert json.loads(match) == {"metadata": {"case": "<script>x</script>"}}
    assert json.loads(action) == {"fail": {"errors": [{"code": "too_many", "message": "Failed <b>here</b>", "param": None, "line": 2}]}}
    assert [rule["id"] for rule in admin(served, "GET", "batch-rules")["data"]] == [rule_id]
    shot(browser, tmp_path, "controls-batch-rules")

    failed = create(client, chat_line("a"), metadata={"case": "<script>x</script>"})
    advance(served, 60)
    batch_page(browser, served, failed.id)
    assert text(browser, "status") == "failed" and client.batches.retrieve(failed.id).status == "failed"
    assert [cell.text for cell in browser.find_elements(By.CSS_SELECTOR, "#errors tbody td")] == ["too_many", "Failed <b>here</b>", "—", "2"]

    browser.get(f"{served.root_url}/ui/controls")
    browser.find_element(By.CSS_SELECTOR, f"button[aria-label='Remove {rule_id}']").click()
    WebDriverWait(browser, 5).until(lambda page: f"Removed {rule_id}." in page.page_source)
    assert rule_rows(browser) == [["No batch rules."]] and admin(served, "GET", "batch-rules")["data"] == []


def test_a_refused_batch_rule_shows_the_admin_apis_message(browser: webdriver.Chrome, served: Server, frozen: None) -> None:
    for rule in ('{"fail": true, "expire_after_lines": 1}', '{"schedule": {"line_ms": -1}}', "not json", '{"match": {"model": "x"}, "fail": true}'):
        expected = httpx2.post(f"{served.root_url}/admin/batch-rules", content=rule, headers={"Content-Type": "application/json"}, timeout=10)
        assert expected.status_code == 400, expected.text
        browser.get(f"{served.root_url}/ui/controls")
        add_rule(browser, rule)
        WebDriverWait(browser, 5).until(lambda page: "/ui/batch-rules" in page.current_url)
        assert json.loads(browser.find_element(By.TAG_NAME, "body").text)["error"] == expected.json()["error"], rule
    assert admin(served, "GET", "batch-rules")["data"] == []


def test_clearing_the_batch_rules_asks_for_the_tick(browser: webdriver.Chrome, served: Server, frozen: None) -> None:
    for endpoint in ("/v1/embeddings", "/v1/responses"):
        admin(served, "POST", "batch-rules", {"match": {"endpoint": endpoint}, "fail": True})
    browser.get(f"{served.root_url}/ui/controls")
    assert len(rule_rows(browser)) == 2
    browser.execute_script("document.getElementById('batch-rules-confirm').required = false")
    submit(browser, "/ui/batch-rules/clear")
    WebDriverWait(browser, 5).until(lambda page: "Tick the box to remove every batch rule." in page.page_source)
    assert len(admin(served, "GET", "batch-rules")["data"]) == 2
    browser.find_element(By.ID, "batch-rules-confirm").click()
    submit(browser, "/ui/batch-rules/clear")
    WebDriverWait(browser, 5).until(lambda page: "Removed 2 batch rules." in page.page_source)
    assert rule_rows(browser) == [["No batch rules."]] and admin(served, "GET", "batch-rules")["data"] == []
