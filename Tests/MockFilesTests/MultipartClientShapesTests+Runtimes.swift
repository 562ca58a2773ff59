@testable import MockFiles

/// Language runtimes, and shapes RFC 2046 allows that no common client writes.
extension MultipartClientShapesTests {
    static let runtimeShapes: [Shape] = [
        // Node's fetch (undici): `----formdata-undici-0` + 11 digits; closing line with CRLF.
        Shape(
            client: "Node fetch (undici)",
            contentType: "multipart/form-data; boundary=----formdata-undici-052698124375",
            body: body([
                "------formdata-undici-052698124375\r\n",
                "Content-Disposition: form-data; name=\"purpose\"\r\n\r\n",
                "vision\r\n",
                "------formdata-undici-052698124375\r\n",
                "Content-Disposition: form-data; name=\"file\"; filename=\"a%22b.png\"\r\n",
                "Content-Type: image/png\r\n\r\n", .raw([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), "\r\n",
                "------formdata-undici-052698124375--\r\n",
            ]),
            expected: [
                Expected("purpose", "vision"),
                Expected("file", filename: "a%22b.png", contentType: "image/png", bytes: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]),
            ]
        ),
        // Older undici, and other writers, end right after `--boundary--`, without a CRLF.
        Shape(
            client: "closing line without CRLF",
            contentType: "multipart/form-data; boundary=----formdata-undici-000000000001",
            body: body([
                "------formdata-undici-000000000001\r\n",
                "Content-Disposition: form-data; name=\"purpose\"\r\n\r\n",
                "batch\r\n",
                "------formdata-undici-000000000001--",
            ]),
            expected: [Expected("purpose", "batch")]
        ),
        // .NET HttpClient MultipartFormDataContent: a GUID boundary quoted in the header;
        // Content-Type before Content-Disposition; unquoted name; filename* for Unicode, with
        // an RFC 2047 encoded word in filename; no Content-Type for ByteArrayContent.
        Shape(
            client: ".NET HttpClient",
            contentType: "multipart/form-data; boundary=\"7d8f3a52-1c2b-4e5f-9a6b-0c1d2e3f4a5b\"",
            body: body([
                "--7d8f3a52-1c2b-4e5f-9a6b-0c1d2e3f4a5b\r\n",
                "Content-Type: text/plain; charset=utf-8\r\n",
                "Content-Disposition: form-data; name=purpose\r\n\r\n",
                "fine-tune\r\n",
                "--7d8f3a52-1c2b-4e5f-9a6b-0c1d2e3f4a5b\r\n",
                "Content-Disposition: form-data; name=file; filename=\"=?utf-8?B?csOpc3Vtw6kuanNvbmw=?=\"; filename*=utf-8''r%C3%A9sum%C3%A9.jsonl\r\n\r\n",
                .raw(jsonl), "\r\n",
                "--7d8f3a52-1c2b-4e5f-9a6b-0c1d2e3f4a5b--\r\n",
            ]),
            expected: [
                Expected("purpose", contentType: "text/plain; charset=utf-8", "fine-tune"),
                Expected("file", filename: "résumé.jsonl", bytes: jsonl),
            ]
        ),
        // OkHttp MultipartBody: a UUID boundary and a Content-Length per part.
        Shape(
            client: "Java OkHttp",
            contentType: "multipart/form-data; boundary=0f3e2d1c-4b5a-6978-8a9b-acbdcedf0f1e",
            body: body([
                "--0f3e2d1c-4b5a-6978-8a9b-acbdcedf0f1e\r\n",
                "Content-Disposition: form-data; name=\"purpose\"\r\n",
                "Content-Length: 5\r\n\r\n",
                "evals\r\n",
                "--0f3e2d1c-4b5a-6978-8a9b-acbdcedf0f1e\r\n",
                "Content-Disposition: form-data; name=\"file\"; filename=\"e.jsonl\"\r\n",
                "Content-Type: application/octet-stream\r\n",
                "Content-Length: \(jsonl.count)\r\n\r\n", .raw(jsonl), "\r\n",
                "--0f3e2d1c-4b5a-6978-8a9b-acbdcedf0f1e--\r\n",
            ]),
            expected: [
                Expected("purpose", "evals"),
                Expected("file", filename: "e.jsonl", contentType: "application/octet-stream", bytes: jsonl),
            ]
        ),
        // Go mime/multipart: 60 hex digits; the file first, the field after it.
        Shape(
            client: "Go mime/multipart",
            contentType: "multipart/form-data; boundary=5c1e0b3f7a9d2c4e6f8a0b1c3d5e7f9a1b3c5d7e9f0a2b4c6d8e0f1a3b5c",
            body: body([
                "--5c1e0b3f7a9d2c4e6f8a0b1c3d5e7f9a1b3c5d7e9f0a2b4c6d8e0f1a3b5c\r\n",
                "Content-Disposition: form-data; name=\"file\"; filename=\"x.jsonl\"\r\n",
                "Content-Type: application/octet-stream\r\n\r\n", .raw(jsonl),
                "\r\n--5c1e0b3f7a9d2c4e6f8a0b1c3d5e7f9a1b3c5d7e9f0a2b4c6d8e0f1a3b5c\r\n",
                "Content-Disposition: form-data; name=\"purpose\"\r\n\r\n",
                "batch",
                "\r\n--5c1e0b3f7a9d2c4e6f8a0b1c3d5e7f9a1b3c5d7e9f0a2b4c6d8e0f1a3b5c--\r\n",
            ]),
            expected: [
                Expected("file", filename: "x.jsonl", contentType: "application/octet-stream", bytes: jsonl),
                Expected("purpose", "batch"),
            ]
        ),
    ]

    static let rfc2046Shapes: [Shape] = [
        // RFC 2046 §5.1.1's own example: preamble, a part without headers, a boundary with a
        // space, an epilogue.
        Shape(
            client: "RFC 2046 example",
            contentType: "multipart/mixed; boundary=\"simple boundary\"",
            body: body([
                "This is the preamble.  It is to be ignored, though it\r\n",
                "is a handy place for composition agents to include an\r\n",
                "explanatory note to non-MIME conformant readers.\r\n\r\n",
                "--simple boundary\r\n\r\n",
                "This is implicitly typed plain US-ASCII text.\r\nIt does NOT end with a linebreak.\r\n",
                "--simple boundary\r\n",
                "Content-type: text/plain; charset=us-ascii\r\n\r\n",
                "This is explicitly typed plain US-ASCII text.\r\nIt DOES end with a linebreak.\r\n\r\n",
                "--simple boundary--\r\n\r\n",
                "This is the epilogue.  It is also to be ignored.\r\n",
            ]),
            expected: [
                Expected(nil, "This is implicitly typed plain US-ASCII text.\r\nIt does NOT end with a linebreak."),
                Expected(
                    nil,
                    contentType: "text/plain; charset=us-ascii",
                    "This is explicitly typed plain US-ASCII text.\r\nIt DOES end with a linebreak.\r\n"
                ),
            ]
        ),
        // The defect of issue 12: an extra CRLF after the closing line (an epilogue).
        Shape(
            client: "epilogue CRLF",
            contentType: "multipart/form-data; boundary=b",
            body: body(["--b\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--b--\r\n\r\n"]),
            expected: [Expected("purpose", "batch")]
        ),
        // A preamble whose lines only look like boundaries: `--b` not at a line start, `--bX`,
        // a padded `--b` followed by text, and a lone `--b` CR.
        Shape(
            client: "preamble with near-boundaries",
            contentType: "multipart/form-data; boundary=b",
            body: body(["x--b\r\n--bX\r\n--b -\r\n--b\r\r\n--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--b--"]),
            expected: [Expected("a", "1")]
        ),
        // Transport padding (spaces and tabs) after every boundary, as gateways may add.
        Shape(
            client: "transport padding",
            contentType: "multipart/form-data; boundary=b",
            body: body([
                "--b \t \r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n",
                "--b\t\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\n2\r\n--b-- \t\r\n",
            ]),
            expected: [Expected("a", "1"), Expected("b", "2")]
        ),
        // Header names in any case, values with spaces around them, a header without a value.
        Shape(
            client: "header spelling",
            contentType: "multipart/form-data; boundary=b",
            body: body(["--b\r\ncontent-disposition:form-data; name=\"a\"  \r\nX-Empty:\r\nCONTENT-TYPE: \t text/plain\r\n\r\n1\r\n--b--\r\n"]),
            expected: [Expected("a", contentType: "text/plain", "1")]
        ),
    ]
}
