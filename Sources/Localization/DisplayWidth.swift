import _FoundationICU

/// How many columns text takes in a monospaced terminal or mail reader: what a plain-text underline must match.
///
/// Per character, from Unicode's East Asian Width property (UAX #11) as Foundation's ICU has it: wide and fullwidth
/// characters (Han, kana, Hangul syllables, fullwidth forms, emoji shown as pictures) take two columns; combining
/// marks, format characters (the soft hyphen among them) and conjoining Hangul vowels and final consonants take none (they join the character
/// before); everything else, ambiguous characters included (text here is not in an East Asian legacy encoding), one.
public enum DisplayWidth {
    public static func columns(of text: some StringProtocol) -> Int {
        // ASCII text: one column per byte, control characters aside.
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return text.utf8.reduce(0) { $1 >= 0x20 && $1 != 0x7F ? $0 + 1 : $0 } }
        return text.unicodeScalars.reduce(0) { $0 + columns(of: $1) }
    }

    public static func columns(of scalar: Unicode.Scalar) -> Int {
        let v = scalar.value
        if v < 0x20 || (0x7F..<0xA0).contains(v) || v == 0xAD { return 0 }
        if v < 0x300 { return 1 }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        // Hangul jamo vowels and trailing consonants: they compose with the leading consonant into one wide syllable.
        if (0x1160...0x11FF).contains(v) || (0xD7B0...0xD7FF).contains(v) { return 0 }
        let width = UEastAsianWidth(UInt32(swift_u_getIntPropertyValue(UChar32(bitPattern: v), UCHAR_EAST_ASIAN_WIDTH)))
        if width == U_EA_WIDE || width == U_EA_FULLWIDTH || scalar.properties.isEmojiPresentation { return 2 }
        return 1
    }
}
