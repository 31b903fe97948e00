import Foundation
import Liquid

/// Renders one JSON request per input line, writing one JSON result per line in the same order.
struct JSONLRenderer {
    func run() {
        while let line = readLine(strippingNewline: true) {
            if line.allSatisfy(\.isWhitespace) { continue }
            let answer = RenderRequest.respond(toLine: line) + "\n"
            FileHandle.standardOutput.write(Data(answer.utf8))
        }
    }
}
