#if canImport(Glibc)
import Glibc
#endif

/// Pins processes and threads to one core (`bench compare --pin`), so the server and the driver do not take
/// turns on the same core and the comparison measures the model, not the scheduler.
public enum CPUAffinity {
    /// The number of cores this process may run on.
    public static var availableCores: Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

    /// Pins one process or thread id (0: the calling thread) to `cpu`.
    public static func pin(_ id: pid_t, to cpu: Int) {
        var set = cpu_set_t()
        // CPU_SET is a C macro Swift cannot import; cpu_set_t is a plain bit array, so set the bit by hand.
        withUnsafeMutableBytes(of: &set) { bits in
            bits[cpu / 8] |= UInt8(1 << (cpu % 8))
        }
        _ = setAffinity?(id, MemoryLayout<cpu_set_t>.size, &set)
    }

    private typealias SetAffinity = @convention(c) (pid_t, Int, UnsafePointer<cpu_set_t>) -> Int32

    /// sched_setaffinity is a GNU extension the Glibc module does not export, so it is looked up at run time;
    /// where it is missing, pinning does nothing.
    private static let setAffinity: SetAffinity? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "sched_setaffinity") else { return nil }
        return unsafeBitCast(symbol, to: SetAffinity.self)
    }()

    /// Pins every thread of this process to `cpu`; threads they start later inherit it.
    public static func pinThisProcess(to cpu: Int) {
        guard let tasks = opendir("/proc/self/task") else { return }
        defer { closedir(tasks) }
        while let entry = readdir(tasks) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            if let thread = pid_t(name) { pin(thread, to: cpu) }
        }
    }
}
