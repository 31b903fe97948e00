/// The `forloop` object of `for` loops and of `render ... for`.
///
/// One object per loop, advanced in place as Shopify's is (a template that keeps a reference sees it move on).
/// It is created, read and advanced only by the render that owns it, on that render's thread.
final class ForloopDrop: Drop, @unchecked Sendable {
    let name: String
    var index0: Int
    let length: Int
    let parent: ForloopDrop?

    init(name: String, index0: Int, length: Int, parent: ForloopDrop?) {
        self.name = name
        self.index0 = index0
        self.length = length
        self.parent = parent
    }

    func value(forKey key: String) -> Value? {
        switch key {
        case "name": return .string(name)
        case "parentloop": return parent.map { .drop($0) } ?? .null
        default: return loopPosition(key, index0: index0, length: length)
        }
    }
}

/// The `tablerowloop` object of `tablerow`.
final class TablerowloopDrop: Drop {
    let index0: Int
    let length: Int
    let cols: Int

    init(index0: Int, length: Int, cols: Int) {
        self.index0 = index0
        self.length = length
        self.cols = cols
    }

    var col0: Int { cols > 0 ? index0 % cols : index0 }
    var row: Int { cols > 0 ? index0 / cols + 1 : 1 }

    func value(forKey key: String) -> Value? {
        switch key {
        case "col": return .int(col0 + 1)
        case "col0": return .int(col0)
        case "col_first": return .bool(col0 == 0)
        case "col_last": return .bool(col0 + 1 == cols)
        case "row": return .int(row)
        default: return loopPosition(key, index0: index0, length: length)
        }
    }
}

/// The position keys `forloop` and `tablerowloop` share.
private func loopPosition(_ key: String, index0: Int, length: Int) -> Value? {
    switch key {
    case "index": return .int(index0 + 1)
    case "index0": return .int(index0)
    case "rindex": return .int(length - index0)
    case "rindex0": return .int(length - index0 - 1)
    case "first": return .bool(index0 == 0)
    case "last": return .bool(index0 == length - 1)
    case "length": return .int(length)
    default: return nil
    }
}
