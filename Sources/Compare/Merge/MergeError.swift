/// Why `bench merge` refused its inputs, as a sentence naming the input and the fix.
public struct MergeError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
