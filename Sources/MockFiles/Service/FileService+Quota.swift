/// The storage quota (`storageQuotaBytes`, off by default): the real service refuses a file that
/// would take its owner's stored files past a limit (docs/fidelity.md, "Where mockfiles' answers come from").
extension FileService {
    /// Throws the real service's 400 when `bytes` more would take the tenant's visible files past
    /// the quota; a file that fills it exactly is accepted. Checked before the file commits, so
    /// creates running at the same time can together overshoot it by what they add.
    func checkQuota(adding bytes: Int64, tenant: Tenant) async throws {
        guard let quota = settings.storageQuotaBytes else { return }
        let stored = try await store.reads.visibleBytes(tenant: tenant.key, at: clock.seconds)
        if bytes > quota - stored { throw Self.quotaExceeded(limit: quota) }
    }

    /// The captured answer (bespokelabsai/curator#189, 2024), naming the configured limit where it
    /// said "100 GB".
    static func quotaExceeded(limit: Int64) -> APIError {
        APIError.invalid(
            "You have exceeded your file storage quota. Organizations are limited to \(quotaText(limit)) of files. "
                + "Please delete old files or attempt with a smaller file size.",
            param: nil
        )
    }

    /// `bytes` as the capture writes its limit ("100 GB"): under 1000 exactly, otherwise in the
    /// largest decimal unit that shows at least 1, with at most two decimals ("1.5 MB", "1.23 MB"),
    /// in integers so no size is too large.
    static func quotaText(_ bytes: Int64) -> String {
        guard bytes >= 1000 else { return bytes == 1 ? "1 byte" : "\(bytes) bytes" }
        for (unit, size) in [("GB", Int64(1_000_000_000)), ("MB", 1_000_000), ("KB", 1_000)] {
            var whole = bytes / size
            var hundredths = (bytes % size * 100 + size / 2) / size
            if hundredths == 100 { (whole, hundredths) = (whole + 1, 0) }
            guard whole > 0 else { continue }
            switch hundredths {
            case 0: return "\(whole) \(unit)"
            case let h where h % 10 == 0: return "\(whole).\(h / 10) \(unit)"
            case let h: return "\(whole).\(h < 10 ? "0" : "")\(h) \(unit)"
            }
        }
        return "\(bytes) bytes"  // not reached: 1000 and more show at least 1 KB
    }
}
