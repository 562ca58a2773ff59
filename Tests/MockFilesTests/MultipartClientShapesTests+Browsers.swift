@testable import MockFiles

/// Browsers, curl and the Python clients.
extension MultipartClientShapesTests {
    static let browserShapes: [Shape] = [
        // Chrome and Safari: `----WebKitFormBoundary` + 16 characters; the HTML form-data encoding
        // writes `"` in names and filenames as %22 and keeps other characters as raw UTF-8.
        Shape(
            client: "Chrome/Safari FormData",
            contentType: "multipart/form-data; boundary=----WebKitFormBoundaryQ4kx7cT1Ygb6yZ9s",
            body: body([
                "------WebKitFormBoundaryQ4kx7cT1Ygb6yZ9s\r\n",
                "Content-Disposition: form-data; name=\"purpose\"\r\n\r\n",
                "fine-tune\r\n",
                "------WebKitFormBoundaryQ4kx7cT1Ygb6yZ9s\r\n",
                "Content-Disposition: form-data; name=\"file\"; filename=\"résumé %22final%22 😀.jsonl\"\r\n",
                "Content-Type: application/octet-stream\r\n\r\n", .raw(jsonl), "\r\n",
                "------WebKitFormBoundaryQ4kx7cT1Ygb6yZ9s--\r\n",
            ]),
            expected: [
                Expected("purpose", "fine-tune"),
                Expected("file", filename: "résumé %22final%22 😀.jsonl", contentType: "application/octet-stream", bytes: jsonl),
            ]
        ),
        // Firefox before 127: 27 dashes and digits; a part with a detected type.
        Shape(
            client: "Firefox (classic boundary)",
            contentType: "multipart/form-data; boundary=---------------------------3052059461540785381587929716",
            body: body([
                "-----------------------------3052059461540785381587929716\r\n",
                "Content-Disposition: form-data; name=\"file\"; filename=\"data.json\"\r\n",
                "Content-Type: application/json\r\n\r\n",
                "{\"a\":1}\r\n",
                "-----------------------------3052059461540785381587929716\r\n",
                "Content-Disposition: form-data; name=\"purpose\"\r\n\r\n",
                "user_data\r\n",
                "-----------------------------3052059461540785381587929716--\r\n",
            ]),
            expected: [
                Expected("file", filename: "data.json", contentType: "application/json", "{\"a\":1}"),
                Expected("purpose", "user_data"),
            ]
        ),
        // Firefox 127 and later.
        Shape(
            client: "Firefox (geckoformboundary)",
            contentType: "multipart/form-data; boundary=----geckoformboundary6c1f3b7e0a9d2f4b8e5c7a1d3f9b0e2a",
            body: body([
                "------geckoformboundary6c1f3b7e0a9d2f4b8e5c7a1d3f9b0e2a\r\n",
                "Content-Disposition: form-data; name=\"file\"; filename=\"\"\r\n",
                "Content-Type: application/octet-stream\r\n\r\n\r\n",
                "------geckoformboundary6c1f3b7e0a9d2f4b8e5c7a1d3f9b0e2a--\r\n",
            ]),
            // An empty file input: an empty filename and an empty body.
            expected: [Expected("file", filename: "", contentType: "application/octet-stream", "")]
        ),
        // An empty FormData: only the closing line. RFC 2046 wants a part, browsers send none.
        Shape(
            client: "Chrome empty FormData",
            contentType: "multipart/form-data; boundary=----WebKitFormBoundaryAAAAAAAAAAAAAAAA",
            body: body(["------WebKitFormBoundaryAAAAAAAAAAAAAAAA--\r\n"]),
            expected: []
        ),
    ]

    static let cliAndScriptShapes: [Shape] = [
        // curl -F 'purpose=batch;type=text/plain' -F file=@batch.jsonl: 24 dashes + 16 hex.
        Shape(
            client: "curl -F",
            contentType: "multipart/form-data; boundary=------------------------d74496d66958873e",
            body: body([
                "--------------------------d74496d66958873e\r\n",
                "Content-Disposition: form-data; name=\"purpose\"\r\n",
                "Content-Type: text/plain\r\n\r\n",
                "batch\r\n",
                "--------------------------d74496d66958873e\r\n",
                "Content-Disposition: form-data; name=\"file\"; filename=\"batch.jsonl\"\r\n",
                "Content-Type: application/octet-stream\r\n\r\n", .raw(jsonl), "\r\n",
                "--------------------------d74496d66958873e--\r\n",
            ]),
            expected: [
                Expected("purpose", contentType: "text/plain", "batch"),
                Expected("file", filename: "batch.jsonl", contentType: "application/octet-stream", bytes: jsonl),
            ]
        ),
        // Python requests (urllib3): uuid4 hex boundary; `data=` fields first; a file tuple
        // without a type gets no Content-Type at all.
        Shape(
            client: "Python requests",
            contentType: "multipart/form-data; boundary=3f2a1c9e8b7d4e6f8a9b0c1d2e3f4a5b",
            body: body([
                "--3f2a1c9e8b7d4e6f8a9b0c1d2e3f4a5b\r\n",
                "Content-Disposition: form-data; name=\"purpose\"\r\n\r\n",
                "batch\r\n",
                "--3f2a1c9e8b7d4e6f8a9b0c1d2e3f4a5b\r\n",
                "Content-Disposition: form-data; name=\"file\"; filename=\"x\"\r\n\r\n", .raw(jsonl), "\r\n",
                "--3f2a1c9e8b7d4e6f8a9b0c1d2e3f4a5b--\r\n",
            ]),
            expected: [Expected("purpose", "batch"), Expected("file", filename: "x", bytes: jsonl)]
        ),
        // httpx (the OpenAI Python SDK): os.urandom(16).hex(); names escape `"` as %22.
        Shape(
            client: "Python httpx / openai-python",
            contentType: "multipart/form-data; boundary=9b2e4c1a7f3d5e8b0a6c2d4f1e3b5a7c",
            body: body([
                "--9b2e4c1a7f3d5e8b0a6c2d4f1e3b5a7c\r\n",
                "Content-Disposition: form-data; name=\"purpose\"\r\n\r\n",
                "assistants\r\n",
                "--9b2e4c1a7f3d5e8b0a6c2d4f1e3b5a7c\r\n",
                "Content-Disposition: form-data; name=\"expires_after[anchor]\"\r\n\r\n",
                "created_at\r\n",
                "--9b2e4c1a7f3d5e8b0a6c2d4f1e3b5a7c\r\n",
                "Content-Disposition: form-data; name=\"file\"; filename=\"my %22notes%22.md\"\r\n",
                "Content-Type: application/octet-stream\r\n\r\n",
                "# Notes\n\r\n",
                "--9b2e4c1a7f3d5e8b0a6c2d4f1e3b5a7c--\r\n",
            ]),
            expected: [
                Expected("purpose", "assistants"),
                Expected("expires_after[anchor]", "created_at"),
                Expected("file", filename: "my %22notes%22.md", contentType: "application/octet-stream", "# Notes\n"),
            ]
        ),
    ]
}
