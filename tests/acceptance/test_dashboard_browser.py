"""The dashboard (/ui) in a real browser: Selenium driving Debian's headless Chromium against a live
server, with the official SDK on the other side to see that what the page did really happened.
Screenshots of each page land in the test's temporary directory (not committed)."""

from __future__ import annotations

import http.client
import http.server
import io
import json
import os
import re
import shutil
import socket
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
from mockfiles_kit import Server
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

CHROMEDRIVER = shutil.which("chromedriver")
CHROMIUM = shutil.which("chromium")


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    if CHROMEDRIVER is None or CHROMIUM is None:
        if os.environ.get("MOCKFILES_REQUIRE_BROWSER") == "1":
            pytest.fail("MOCKFILES_REQUIRE_BROWSER=1 but chromium or chromedriver is missing (apt: chromium chromium-driver)")
        pytest.skip("needs chromium and chromium-driver (scripts/test installs them)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900", "--disable-gpu"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.implicitly_wait(2)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    run = tmp_path_factory.mktemp("dashboard")
    server = Server.start(run / "data", run / "logs")
    yield server
    assert server.stop() == 0, server.output()


def sdk(server: Server) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0)


def shot(browser: webdriver.Chrome, tmp_path: Path, name: str) -> None:
    assert browser.save_screenshot(str(tmp_path / f"{name}.png")), name


def submit(browser: webdriver.Chrome, form_action: str) -> None:
    browser.find_element(By.CSS_SELECTOR, f"form[action='{form_action}'] button[type=submit]").click()


def test_a_file_found_and_deleted_through_the_page_is_gone_for_the_sdk(browser: webdriver.Chrome, served: Server, tmp_path: Path) -> None:
    client = sdk(served)
    made = client.files.create(file=("batch.jsonl", io.BytesIO(b'{"custom_id":"a"}\nnot json\n')), purpose="user_data")
    browser.get(f"{served.root_url}/ui/files")
    shot(browser, tmp_path, "files")
    browser.find_element(By.LINK_TEXT, made.id).click()
    WebDriverWait(browser, 5).until(lambda page: page.find_element(By.TAG_NAME, "h1").text == "batch.jsonl")
    invalid = browser.find_element(By.CSS_SELECTOR, "ol.lines li.invalid")
    assert "not json" in invalid.text and "line 2 is not valid JSON" in invalid.text
    shot(browser, tmp_path, "file")
    browser.find_element(By.ID, "confirm").click()
    submit(browser, f"/ui/files/{made.id}/delete")
    WebDriverWait(browser, 5).until(lambda page: f"Deleted {made.id}." in page.page_source)
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(made.id)


def test_a_fault_armed_and_a_clock_moved_from_the_page_reach_the_sdk(browser: webdriver.Chrome, served: Server, tmp_path: Path) -> None:
    client = sdk(served)
    short = client.files.create(file=("short.txt", io.BytesIO(b"soon gone")), purpose="user_data", expires_after={"anchor": "created_at", "seconds": 3600})
    browser.get(f"{served.root_url}/ui/controls")
    browser.find_element(By.ID, "fault-path").clear()
    browser.find_element(By.ID, "fault-path").send_keys("/v1/models")
    browser.find_element(By.ID, "fault-status").clear()
    browser.find_element(By.ID, "fault-status").send_keys("503")
    browser.find_element(By.ID, "fault-times").send_keys("1")
    submit(browser, "/ui/faults")
    WebDriverWait(browser, 5).until(lambda page: "Armed fault_" in page.page_source)
    with pytest.raises(openai.InternalServerError):
        client.models.list()
    browser.find_element(By.ID, "advance").send_keys("7200")
    submit(browser, "/ui/clock")
    WebDriverWait(browser, 5).until(lambda page: "The clock reads" in page.page_source)
    shot(browser, tmp_path, "controls")
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(short.id)


def test_a_request_made_by_the_sdk_appears_in_the_live_log_without_a_reload(browser: webdriver.Chrome, served: Server, tmp_path: Path) -> None:
    client = sdk(served)
    browser.get(f"{served.root_url}/ui/requests?path=/v1/files*")
    marker = browser.find_element(By.ID, "requests")
    client.files.create(file=("live.txt", io.BytesIO(b"seen live")), purpose="user_data")
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve("file-doesnotexist")
    WebDriverWait(browser, 2).until(lambda page: "GET /v1/files/file-doesnotexist → 404" in marker.text)
    assert "POST /v1/files → 200" in marker.text and browser.find_element(By.ID, "requests") == marker, "the same page, not a reload"
    entry = browser.find_element(By.CSS_SELECTOR, "#requests li:first-child summary")
    entry.click()
    assert "file-doesnotexist" in browser.find_element(By.CSS_SELECTOR, "#requests li:first-child pre").text
    shot(browser, tmp_path, "requests")


def test_a_form_from_another_origin_is_refused(browser: webdriver.Chrome, served: Server, tmp_path: Path) -> None:
    """A page elsewhere (here a data: URL, Origin null) posting a dashboard form gets nothing done."""
    client = sdk(served)
    target = client.files.create(file=("kept.txt", io.BytesIO(b"stays")), purpose="user_data")
    hostile = (
        f"<form method=post action='{served.root_url}/ui/files/{target.id}/delete'>"
        "<input name=tenant value=shared><input name=confirm value=yes><input name=csrf value=guess>"
        "<button id=go type=submit>go</button></form>"
    )
    browser.get("data:text/html," + hostile)
    browser.find_element(By.ID, "go").click()
    WebDriverWait(browser, 5).until(lambda page: "admin_loopback_only" in page.page_source)
    assert client.files.retrieve(target.id).id == target.id


def non_loopback_address() -> str | None:
    """This machine's address on its default route, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_a_client_off_loopback_without_the_token_gets_no_page(browser: webdriver.Chrome, tmp_path: Path) -> None:
    address = non_loopback_address()
    if address is None:
        pytest.skip("this machine has no address but loopback")
    server = Server.start(tmp_path / "data", tmp_path / "logs", ["--host", "0.0.0.0"])
    try:
        browser.get(f"http://{address}:{server.port}/ui/files")
        assert "admin_loopback_only" in browser.page_source and "<table" not in browser.page_source
    finally:
        assert server.stop() == 0, server.output()


def test_with_a_token_the_page_asks_for_it_once(browser: webdriver.Chrome, tmp_path: Path) -> None:
    server = Server.start(tmp_path / "data", tmp_path / "logs", ["--admin-token", "browser-token"])
    try:
        browser.get(f"{server.root_url}/ui/files")
        assert browser.current_url.endswith("/ui/login")
        shot(browser, tmp_path, "login")
        browser.find_element(By.ID, "token").send_keys("not-it")
        submit(browser, "/ui/login")
        WebDriverWait(browser, 5).until(lambda page: "That is not the admin token." in page.page_source)
        browser.find_element(By.ID, "token").send_keys("browser-token")
        submit(browser, "/ui/login")
        WebDriverWait(browser, 5).until(lambda page: page.current_url.endswith("/ui/files"))
        assert browser.find_element(By.TAG_NAME, "h1").text == "Files"
        cookie = browser.get_cookie("mockfiles_session")
        assert cookie is not None and cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Strict", cookie
        browser.get(f"{server.root_url}/ui/controls")
        assert browser.find_element(By.TAG_NAME, "h1").text == "Controls"
    finally:
        browser.delete_all_cookies()
        assert server.stop() == 0, server.output()


def serve_page(html: str) -> http.server.ThreadingHTTPServer:
    """Another site's page, here on another port of the same host: the same site as the dashboard."""
    body = html.encode()

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    page = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=page.serve_forever, daemon=True).start()
    return page


def status_with_cookie(server: Server, path: str, cookie: str) -> int:
    """The status of a GET with the session cookie, redirects not followed."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request("GET", path, headers={"Cookie": f"mockfiles_session={cookie}"})
        return connection.getresponse().status
    finally:
        connection.close()


def test_a_page_on_another_port_cannot_write_and_signing_out_ends_the_session(browser: webdriver.Chrome, tmp_path: Path) -> None:
    """Signed in, the operator opens a page served from another port of the same host (the same site, so
    the SameSite=Strict cookie goes along) that posts a fault rule with whatever the login page hands
    anyone. Nothing is armed; and after signing out, a copy of the cookie opens nothing."""
    server = Server.start(tmp_path / "data", tmp_path / "logs", ["--admin-token", "browser-token"])
    hostile = None
    try:
        with urllib.request.urlopen(f"{server.root_url}/ui/login") as answer:
            offered = re.search(r'name="csrf" value="([^"]*)"', answer.read().decode())
        browser.get(f"{server.root_url}/ui/login")
        browser.find_element(By.ID, "token").send_keys("browser-token")
        submit(browser, "/ui/login")
        WebDriverWait(browser, 5).until(lambda page: page.current_url.endswith("/ui/files"))
        hostile = serve_page(
            f"<form method=post action='{server.root_url}/ui/faults'><input name=path value=/v1/models>"
            f"<input name=status value=503><input name=csrf value='{offered.group(1) if offered else ''}'>"
            "<button id=go type=submit>go</button></form>"
        )
        browser.get(f"http://127.0.0.1:{hostile.server_port}/")
        browser.find_element(By.ID, "go").click()
        WebDriverWait(browser, 5).until(lambda page: "csrf_failed" in page.page_source)
        listing = urllib.request.Request(f"{server.root_url}/admin/faults", headers={"Authorization": "Bearer browser-token"})
        with urllib.request.urlopen(listing) as answer:
            assert json.load(answer)["data"] == [], "no fault armed"
        cookie = browser.get_cookie("mockfiles_session")
        assert cookie is not None
        assert status_with_cookie(server, "/ui/files", cookie["value"]) == 200
        browser.get(f"{server.root_url}/ui/files")
        submit(browser, "/ui/logout")
        WebDriverWait(browser, 5).until(lambda page: page.current_url.endswith("/ui/login"))
        assert browser.get_cookie("mockfiles_session") is None
        assert status_with_cookie(server, "/ui/files", cookie["value"]) == 303, "the session is over, not just its cookie"
    finally:
        if hostile is not None:
            hostile.shutdown()
        browser.delete_all_cookies()
        assert server.stop() == 0, server.output()


def choose_file(browser: webdriver.Chrome, path: Path) -> None:
    browser.find_element(By.ID, "upload-file").send_keys(str(path))


def stored_id(browser: webdriver.Chrome) -> str:
    """The id the Upload page reports once the file is stored."""
    status = browser.find_element(By.ID, "upload-status")
    WebDriverWait(browser, 30).until(lambda page: "Stored" in status.text or "Not stored" in status.text)
    assert status.text.startswith("Stored"), status.text
    assert browser.find_element(By.ID, "upload-progress").get_attribute("value") == "1"
    return status.find_element(By.TAG_NAME, "a").text


def test_a_file_dropped_on_the_upload_page_is_found_through_the_sdk(browser: webdriver.Chrome, served: Server, tmp_path: Path) -> None:
    browser.get(f"{served.root_url}/ui/upload")
    # A drop as the browser delivers one: a DataTransfer holding a File, dispatched on the zone.
    browser.execute_script(
        """
        const transfer = new DataTransfer();
        transfer.items.add(new File(['{"custom_id":"dropped"}\\n'], "dropped.jsonl", { type: "" }));
        document.getElementById("drop").dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
        """
    )
    browser.find_element(By.ID, "upload-purpose").send_keys("batch")
    browser.find_element(By.CSS_SELECTOR, "#upload button[type=submit]").click()
    file_id = stored_id(browser)
    shot(browser, tmp_path, "upload")
    made = sdk(served).files.retrieve(file_id)
    assert (made.filename, made.purpose, made.bytes) == ("dropped.jsonl", "batch", 24)
    assert sdk(served).files.content(file_id).read() == b'{"custom_id":"dropped"}\n'


def test_a_file_larger_than_a_part_goes_through_the_uploads_api_in_parts(browser: webdriver.Chrome, tmp_path: Path) -> None:
    part = 1 << 20
    server = Server.start(tmp_path / "data", tmp_path / "logs", ["--max-part-bytes", str(part)])
    try:
        contents = os.urandom(2 * part + 12345)
        chosen = tmp_path / "large.bin"
        chosen.write_bytes(contents)
        browser.get(f"{server.root_url}/ui/upload")
        choose_file(browser, chosen)
        browser.find_element(By.ID, "upload-expiry").send_keys("7200")
        browser.find_element(By.CSS_SELECTOR, "#upload button[type=submit]").click()
        file_id = stored_id(browser)
        client = sdk(server)
        made = client.files.retrieve(file_id)
        assert made.bytes == len(contents) and made.expires_at == made.created_at + 7200
        # user_data is not downloadable through the API (as on the real service); the dashboard's
        # download serves any purpose.
        with urllib.request.urlopen(f"{server.root_url}/ui/files/{file_id}/content?tenant=shared") as answer:
            assert answer.read() == contents
        # The request log holds /v1 calls only; the server's own log line per request shows the parts.
        logged = (server.stdout_path.read_text() + server.stderr_path.read_text()).splitlines()
        parts = [line for line in logged if "/parts" in line and "/ui/api/uploads/upload_" in line and "status=200" in line]
        assert len(parts) == 3, "\n".join(line for line in logged if "/ui/api/" in line)
        browser.get(f"{server.root_url}/ui/uploads")
        assert "large.bin" in browser.page_source and ">completed<" in browser.page_source
        shot(browser, tmp_path, "uploads")
    finally:
        assert server.stop() == 0, server.output()


def test_a_refused_upload_shows_the_apis_message(browser: webdriver.Chrome, served: Server, tmp_path: Path) -> None:
    chosen = tmp_path / "notes.txt"
    chosen.write_text("not a batch file")
    browser.get(f"{served.root_url}/ui/upload")
    choose_file(browser, chosen)
    browser.find_element(By.ID, "upload-purpose").send_keys("batch")
    browser.find_element(By.CSS_SELECTOR, "#upload button[type=submit]").click()
    status = browser.find_element(By.ID, "upload-status")
    WebDriverWait(browser, 10).until(lambda page: "Not stored" in status.text)
    assert ".jsonl" in status.text, status.text
