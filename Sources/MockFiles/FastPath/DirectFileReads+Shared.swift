import HTTPTypes
import NIOCore

extension DirectFileReads {
    /// A shared store's answer, read in a task (the handler writes it when it comes), or nil when
    /// it would not be a plain 200 or this instance's controls were behind: the router then
    /// answers from the start, after synchronizing them. The read is the router's speculative
    /// one (`TestControls.answerIfControlsCurrent`): its statement reads the controls'
    /// generation too, so a rule or clock set through another instance before this request came
    /// is never missed. The entry goes to the shared log before the answer is given, as the
    /// router's does.
    func answerLater(_ head: HTTPRequest, _ read: Read) async -> (HTTPResponse, ByteBuffer)? {
        guard var answer = begin(head), let tenant = answer.tenant else { return nil }
        label(&answer, read)
        let body: ByteBuffer?
        do {
            body = try await controls.answerIfControlsCurrent { try await self.body(of: read, for: tenant) }
        } catch {
            return nil
        }
        guard let body, finish(&answer, body: body) else { return nil }
        for rule in rules.answering.reversed() {
            rule.recordDirectAnswer(answer)
        }
        await rules.requestLog.recordSharedDirectAnswer(answer)
        return (HTTPResponse(status: answer.status, headerFields: answer.headers), answer.body)
    }

    private func body(of read: Read, for tenant: Tenant) async throws -> ByteBuffer {
        switch read {
        case .file(let id):
            return files.fileObject(try await files.service.retrieve(id: id, tenant: tenant)).jsonBody()
        case .page:
            return files.pageObject(try await files.service.list(try pageParameters(read), tenant: tenant)).jsonBody()
        }
    }
}
