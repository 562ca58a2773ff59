import Foundation
import NIOCore
import Testing

@testable import MockFiles

/// Answers as AWS documents them, parsed without a server.
@Suite struct S3ResponseParsingTests {
    @Test func errorBodyGivesCodeMessageAndRequestIDButNothingEchoed() {
        let body = ByteBuffer(
            string: """
                <?xml version="1.0" encoding="UTF-8"?>
                <Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match.</Message>\
                <AWSAccessKeyId>AKIDECHOED</AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256 echoed</StringToSign>\
                <RequestId>4442587FB7D0A2F9</RequestId></Error>
                """
        )
        let error = S3Error.from(status: 403, body: body, requestID: "header-id")
        #expect(error.kind == .errorResponse)
        #expect(error.status == 403)
        #expect(error.code == "SignatureDoesNotMatch")
        #expect(error.message == "The request signature we calculated does not match.")
        #expect(error.requestID == "4442587FB7D0A2F9")
        #expect(!"\(error)".contains("AKIDECHOED") && !"\(error)".contains("echoed"))
    }

    @Test func errorWithoutBodyKeepsStatus() {
        let error = S3Error.from(status: 403, body: ByteBuffer(), requestID: "id")
        #expect(error.code == nil && error.status == 403 && error.requestID == "id")
        #expect("\(error)" == "S3Error.errorResponse 403 (request id id)")
    }

    @Test func listBucketResultTreeReadsEntriesWithEntities() throws {
        let tree = try #require(
            XMLTree.parse(
                ByteBuffer(
                    string: """
                        <?xml version="1.0" encoding="UTF-8"?>
                        <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
                          <IsTruncated>true</IsTruncated>
                          <Contents><Key>a&amp;b</Key><Size>5</Size><ETag>&quot;x&quot;</ETag></Contents>
                          <Contents><Key>c</Key><Size>0</Size></Contents>
                          <NextContinuationToken>tok/en=</NextContinuationToken>
                        </ListBucketResult>
                        """
                )
            )
        )
        #expect(tree.name == "ListBucketResult")
        #expect(tree.children("Contents").map { $0.value("Key") } == ["a&b", "c"])
        #expect(tree.children("Contents").first?.value("ETag") == "\"x\"")
        #expect(tree.value("NextContinuationToken") == "tok/en=")
    }

    @Test func malformedXMLIsNil() {
        #expect(XMLTree.parse(ByteBuffer(string: "<Error><Code>x</Error>")) == nil)
        #expect(XMLTree.parse(ByteBuffer()) == nil)
    }

    @Test func etagsAreEscapedInXML() {
        #expect(XMLTree.escape("\"a<b>&\"") == "&quot;a&lt;b&gt;&amp;&quot;")
    }

    @Test func datesParseInBothFormats() {
        let expected = Date(timeIntervalSince1970: 1_255_369_800)  // 2009-10-12T17:50:00Z
        #expect(S3Date.parseHTTPDate("Mon, 12 Oct 2009 17:50:00 GMT") == expected)
        #expect(S3Date.parseISO8601("2009-10-12T17:50:00.000Z") == expected)
        #expect(S3Date.parseISO8601("2009-10-12T17:50:00Z") == expected)
        #expect(S3Date.parseISO8601("2009-10-12T17:50:00.5Z") == expected + 0.5)
        #expect(S3Date.parseISO8601("2009-02-30T17:50:00Z") == nil)
        #expect(S3Date.parseHTTPDate("Mon, 12 Foo 2009 17:50:00 GMT") == nil)
    }
}
