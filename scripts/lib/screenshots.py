"""Screenshots of the dashboard's pages for the README (docs/screenshots/), made with the headless
Chromium the browser tests use, against a fresh `mockfiles serve --ephemeral` filled with a little of
everything. Run through scripts/screenshots after a change to the pages."""

from __future__ import annotations

import io
import shutil
import sys
import tempfile
from pathlib import Path

import httpx2
import openai
from mockfiles_kit import Server
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def make_batches(server: Server, client: openai.OpenAI) -> str:
    """A finished batch with an output and an error file, and one still running; returns its id.
    The clock is stopped so the running one stays mid-way; a batch rule answers one line with an error."""
    admin = f"{server.root_url}/admin"
    httpx2.post(f"{admin}/clock", json={"frozen": True}, timeout=5)
    httpx2.post(f"{admin}/batch-rules", json={"match": {"custom_id": "r2"}, "error": {"status_code": 429, "message": "Rate limited."}}, timeout=5)

    def batch(lines: int, **metadata: str) -> str:
        body = "".join(
            f'{{"custom_id":"r{n}","method":"POST","url":"/v1/chat/completions","body":{{"model":"gpt-4o-mini","messages":[{{"role":"user","content":"Hi"}}]}}}}\n'
            for n in range(1, lines + 1)
        )
        made = client.files.create(file=("requests.jsonl", io.BytesIO(body.encode())), purpose="batch")
        return client.batches.create(input_file_id=made.id, endpoint="/v1/chat/completions", completion_window="24h", metadata=metadata).id

    batch(3, run="nightly")
    httpx2.post(f"{admin}/clock", json={"advance_seconds": 10}, timeout=5)  # its 3 lines take 2 s
    running = batch(1000, run="backfill", owner="data-team")
    httpx2.post(f"{admin}/clock", json={"advance_seconds": 5}, timeout=5)
    return running


def main() -> int:
    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or driver_path is None:
        print("needs chromium and chromium-driver (apt)", file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        server = Server.start(None, Path(scratch) / "logs")
        try:
            client = openai.OpenAI(base_url=server.base_url, api_key="sk-screenshots", max_retries=0)
            for name, body, purpose in [
                ("train.jsonl", b'{"messages":[{"role":"user","content":"hi"}]}\n{"messages": oops}\n', "user_data"),
                ("notes.md", b"# Notes\n\nPlain text shows as text.\n", "assistants"),
                ("requests.jsonl", b'{"custom_id":"r1","method":"POST","url":"/v1/responses","body":{}}\n', "batch"),
            ]:
                client.files.create(file=(name, io.BytesIO(body)), purpose=purpose)  # type: ignore[arg-type]
            upload = client.uploads.create(bytes=20, filename="big.bin", mime_type="application/octet-stream", purpose="user_data")
            client.uploads.parts.create(upload.id, data=b"0123456789")
            client.files.list()
            try:
                client.files.retrieve("file-missing")
            except openai.NotFoundError:
                pass
            jsonl = next(f.id for f in client.files.list().data if f.filename == "train.jsonl")
            running = make_batches(server, client)  # before the fault, which would refuse its files
            httpx2.post(f"{server.root_url}/admin/faults", json={"path": "/v1/files*", "status": 503, "times": 2}, timeout=5)

            options = webdriver.ChromeOptions()
            options.binary_location = chromium
            for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--hide-scrollbars"):
                options.add_argument(flag)
            browser = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
            try:
                pages = {
                    "files": "/ui/files",
                    "file": f"/ui/files/{jsonl}?tenant=shared",
                    "upload": "/ui/upload",
                    "uploads": "/ui/uploads",
                    "batches": "/ui/batches",
                    "batch": f"/ui/batches/{running}?tenant=shared",
                    "requests": "/ui/requests",
                    "controls": "/ui/controls",
                }
                for name, path in pages.items():
                    # The Batches table needs the main column's full width (72rem) for its file links.
                    browser.set_window_size(1200 if name == "batches" else 1100, 760)
                    browser.get(server.root_url + path)
                    browser.save_screenshot(str(OUT / f"{name}.png"))
                    print(f"docs/screenshots/{name}.png")
                browser.set_window_size(1100, 760)
                browser.get(server.root_url + "/ui/controls")
                browser.execute_script("document.getElementById('batch-rules-heading').scrollIntoView()")
                browser.save_screenshot(str(OUT / "controls-batch-rules.png"))
                print("docs/screenshots/controls-batch-rules.png")
                browser.set_window_size(360, 740)
                browser.get(server.root_url + "/ui/files")
                browser.save_screenshot(str(OUT / "files-narrow.png"))
                print("docs/screenshots/files-narrow.png")
            finally:
                browser.quit()
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
