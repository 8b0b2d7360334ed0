//! Webhook patterns run as HipChat ran them (§6.3): Java's `java.util.regex` (Java 8, the
//! runtime of HipChat), compiled without flags and used with `find`, i.e. a search anywhere in the
//! message. The Java syntax is translated into `fancy-regex` syntax once, at installation.
//!
//! What the translation keeps from Java, where the two engines differ:
//! - `\d \w \s` (and `\p{Alpha}`-style POSIX classes) are ASCII unless `(?U)` is on;
//!   `\h \v \R` are Java's horizontal/vertical whitespace and line break.
//! - `\b \B` are Java 8's word boundaries: a word character is a Unicode letter or digit or `_`
//!   (`Character.isLetterOrDigit`); Java 8 did *not* use `\w` there (that changed in Java 19).
//! - `.` stops at every Java line terminator (`\n \r \u0085 \u2028 \u2029`; only `\n` with
//!   `(?d)`), `$` also matches before a final line terminator, and `(?m)` `^`/`$` know all of them.
//! - `(?i)` folds ASCII letters only, unless `(?u)` is on as well. Inside character classes the
//!   fold is the engine's Unicode one (a difference only for non-ASCII letters).
//! - Inline flags `i d m s u x U`, scoped (`(?i:…)`) or to the end of the group (`(?i)`).
//! - `\Q…\E` quoting, octal `\0nn`, `\uhhhh` (surrogate pairs joined), `\cX`, `\e`, `\a`.
//! - Lookahead, lookbehind, backreferences (numbered with Java's digit rule, and `\k<name>`),
//!   atomic groups and possessive quantifiers are fancy-regex's own.
//!
//! Not supported (the pattern is refused at installation, never silently ignored): Unicode
//! blocks (`\p{InGreek}`) and the `javaXxx` classes other than the six translated below.

use std::fmt;

/// A webhook pattern compiled with Java's semantics.
#[derive(Debug, Clone)]
pub struct JavaPattern {
    source: String,
    regex: fancy_regex::Regex,
}

/// Why a pattern cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError(pub String);

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl JavaPattern {
    /// Compiles a Java pattern, or says why it cannot be compiled.
    pub fn compile(source: &str) -> Result<JavaPattern, PatternError> {
        let translated = translate(source)?;
        let regex =
            fancy_regex::Regex::new(&translated).map_err(|e| PatternError(e.to_string()))?;
        Ok(JavaPattern {
            source: source.to_owned(),
            regex,
        })
    }

    /// Whether the pattern is found anywhere in `text` (Java's `Matcher.find`). A search that
    /// exceeds the engine's backtracking budget counts as no match.
    pub fn find(&self, text: &str) -> bool {
        self.regex.is_match(text).unwrap_or(false)
    }

    /// The pattern as declared.
    pub fn source(&self) -> &str {
        &self.source
    }
}

/// Java's inline flags.
#[derive(Debug, Clone, Copy, Default)]
struct Flags {
    /// `i`: case-insensitive (ASCII unless `u`).
    case_insensitive: bool,
    /// `d`: only `\n` ends a line.
    unix_lines: bool,
    /// `m`: `^`/`$` at line terminators.
    multiline: bool,
    /// `s`: `.` matches line terminators.
    dotall: bool,
    /// `u`: Unicode case folding.
    unicode_case: bool,
    /// `x`: whitespace and `#` comments ignored.
    comments: bool,
    /// `U`: Unicode `\d \w \s \b` and POSIX classes.
    unicode_class: bool,
}

impl Flags {
    fn set(&mut self, flag: char, on: bool) -> bool {
        match flag {
            'i' => self.case_insensitive = on,
            'd' => self.unix_lines = on,
            'm' => self.multiline = on,
            's' => self.dotall = on,
            'u' => self.unicode_case = on,
            'x' => self.comments = on,
            // Java: UNICODE_CHARACTER_CLASS implies UNICODE_CASE.
            'U' => {
                self.unicode_class = on;
                self.unicode_case |= on;
            }
            _ => return false,
        }
        true
    }
}

/// Java's line terminators as a class body (without `\n`, which callers add).
const TERMINATORS: &str = r"\n\r\x{85}\x{2028}\x{2029}";
/// Java 8's word character for `\b`: `Character.isLetterOrDigit(c) || c == '_'`.
const BOUNDARY_WORD: &str = r"[\p{L}\p{Nd}_]";

/// Translates Java syntax into fancy-regex syntax with the same meaning.
fn translate(source: &str) -> Result<String, PatternError> {
    let mut t = Translator {
        chars: source.chars().collect(),
        at: 0,
        out: String::with_capacity(source.len() * 2),
        flags: Flags::default(),
        stack: Vec::new(),
        groups: 0,
    };
    t.run()?;
    Ok(t.out)
}

struct Translator {
    chars: Vec<char>,
    at: usize,
    out: String,
    flags: Flags,
    /// Flags to restore at each open group's `)`.
    stack: Vec<Flags>,
    /// Capturing groups opened so far (Java's rule for multi-digit backreferences).
    groups: u32,
}

fn error(message: impl Into<String>) -> PatternError {
    PatternError(message.into())
}

impl Translator {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.at + offset).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.at += 1;
        Some(c)
    }

    fn eat(&mut self, text: &str) -> bool {
        let n = text.chars().count();
        let matches = text
            .chars()
            .enumerate()
            .all(|(i, c)| self.peek_at(i) == Some(c));
        if matches {
            self.at += n;
        }
        matches
    }

    /// In comments mode, skips whitespace and `#…` to the end of the line.
    fn skip_comments(&mut self) {
        if !self.flags.comments {
            return;
        }
        while let Some(c) = self.peek() {
            if matches!(c, ' ' | '\t' | '\n' | '\x0B' | '\x0C' | '\r') {
                self.at += 1;
            } else if c == '#' {
                while let Some(c) = self.next() {
                    if c == '\n' || c == '\r' {
                        break;
                    }
                }
            } else {
                break;
            }
        }
    }

    fn run(&mut self) -> Result<(), PatternError> {
        loop {
            self.skip_comments();
            let Some(c) = self.next() else {
                return Ok(());
            };
            match c {
                '\\' => self.escape(false)?,
                '[' => self.class()?,
                '(' => self.open_group()?,
                ')' => {
                    if let Some(flags) = self.stack.pop() {
                        self.flags = flags;
                    }
                    self.out.push(')');
                }
                '.' => self.dot(),
                '^' => self.caret(),
                '$' => self.dollar(),
                '{' => self.repetition()?,
                '|' | '*' | '+' | '?' => self.out.push(c),
                _ => self.literal(c),
            }
        }
    }

    /// `{n}`, `{n,}`, `{n,m}`; any other `{` is an error in Java ("Illegal repetition").
    fn repetition(&mut self) -> Result<(), PatternError> {
        let start = self.at;
        let mut digits = 0;
        let mut comma = false;
        loop {
            match self.next() {
                Some(d) if d.is_ascii_digit() => digits += 1,
                Some(',') if !comma && digits > 0 => comma = true,
                Some('}') if digits > 0 => break,
                _ => return Err(error("illegal repetition: { must start {n}, {n,} or {n,m}")),
            }
        }
        self.out.push('{');
        self.out.extend(&self.chars[start..self.at]);
        Ok(())
    }

    fn open_group(&mut self) -> Result<(), PatternError> {
        self.stack.push(self.flags);
        if !self.eat("?") {
            self.groups += 1;
            self.out.push('(');
            return Ok(());
        }
        if self.eat("<=") || self.eat("<!") {
            let kind = &self.chars[self.at - 2..self.at];
            self.out.push_str("(?");
            self.out.extend(kind);
            return Ok(());
        }
        if self.eat("<") {
            self.groups += 1;
            self.out.push_str("(?<");
            return Ok(());
        }
        if let Some(c @ (':' | '=' | '!' | '>')) = self.peek() {
            self.at += 1;
            self.out.push_str("(?");
            self.out.push(c);
            return Ok(());
        }
        // Inline flags: `(?idmsuxU-idmsuxU)` or `(?flags:X)`.
        let mut flags = self.flags;
        let mut on = true;
        loop {
            match self.next() {
                Some('-') => on = false,
                Some(')') => {
                    // Applies to the rest of the enclosing group: undo the push.
                    self.stack.pop();
                    self.flags = flags;
                    return Ok(());
                }
                Some(':') => {
                    self.flags = flags;
                    self.out.push_str("(?:");
                    return Ok(());
                }
                Some(f) if flags.set(f, on) => {}
                Some(f) => return Err(error(format!("unknown inline flag {f:?}"))),
                None => return Err(error("unclosed group")),
            }
        }
    }

    fn dot(&mut self) {
        if self.flags.dotall {
            self.out.push_str("(?s:.)");
        } else if self.flags.unix_lines {
            self.out.push_str(r"[^\n]");
        } else {
            self.out.push_str(&format!("[^{TERMINATORS}]"));
        }
    }

    fn caret(&mut self) {
        if !self.flags.multiline {
            self.out.push_str(r"\A");
        } else if self.flags.unix_lines {
            self.out.push_str(r"(?:\A|(?<=\n)(?!\z))");
        } else {
            self.out
                .push_str(&format!(r"(?:\A|(?<=[{TERMINATORS}])(?!\z)(?!(?<=\r)\n))"));
        }
    }

    fn dollar(&mut self) {
        if self.flags.multiline {
            if self.flags.unix_lines {
                self.out.push_str(r"(?=\n|\z)");
            } else {
                self.out
                    .push_str(&format!(r"(?:(?=[{TERMINATORS}]|\z)(?!(?<=\r)\n))"));
            }
        } else {
            self.end_before_terminator();
        }
    }

    /// Java's non-multiline `$` and `\Z`: the end, or before a line terminator at the end.
    fn end_before_terminator(&mut self) {
        if self.flags.unix_lines {
            self.out.push_str(r"(?=\n?\z)");
        } else {
            self.out.push_str(&format!(
                r"(?:(?=(?:\r\n|[{TERMINATORS}])?\z)(?!(?<=\r)\n))"
            ));
        }
    }

    /// A literal character outside a class, folded as Java's `(?i)` folds it.
    fn literal(&mut self, c: char) {
        if self.flags.case_insensitive {
            if self.flags.unicode_case && c.to_lowercase().ne(c.to_uppercase()) {
                self.out.push_str("(?i:");
                push_literal(&mut self.out, c);
                self.out.push(')');
                return;
            }
            if c.is_ascii_alphabetic() {
                self.out.push('[');
                self.out.push(c.to_ascii_lowercase());
                self.out.push(c.to_ascii_uppercase());
                self.out.push(']');
                return;
            }
        }
        push_literal(&mut self.out, c);
    }

    /// A character class, `[` already read. Under `(?i)` the class is folded by the engine.
    fn class(&mut self) -> Result<(), PatternError> {
        let fold = self.flags.case_insensitive;
        if fold {
            self.out.push_str("(?i:");
        }
        self.class_body()?;
        if fold {
            self.out.push(')');
        }
        Ok(())
    }

    fn class_body(&mut self) -> Result<(), PatternError> {
        self.out.push('[');
        if self.eat("^") {
            self.out.push('^');
        }
        let mut first = true;
        loop {
            self.skip_comments();
            let c = self
                .next()
                .ok_or_else(|| error("unclosed character class"))?;
            match c {
                ']' if !first => {
                    self.out.push(']');
                    return Ok(());
                }
                '[' => self.class_body()?,
                '\\' => self.escape(true)?,
                '&' if self.peek() == Some('&') => {
                    self.at += 1;
                    self.out.push_str("&&");
                }
                '-' => self.out.push('-'),
                _ => push_literal(&mut self.out, c),
            }
            first = false;
        }
    }

    /// An escape, `\` already read.
    fn escape(&mut self, in_class: bool) -> Result<(), PatternError> {
        let c = self
            .next()
            .ok_or_else(|| error("the pattern ends with a lone backslash"))?;
        let unicode = self.flags.unicode_class;
        match c {
            'Q' => self.quoted(in_class),
            'd' | 'D' | 'w' | 'W' | 's' | 'S' if unicode => {
                self.out.push('\\');
                self.out.push(c);
            }
            'd' => self.class_of("0-9", false, in_class),
            'D' => self.class_of("0-9", true, in_class),
            'w' => self.class_of("a-zA-Z_0-9", false, in_class),
            'W' => self.class_of("a-zA-Z_0-9", true, in_class),
            's' => self.class_of(r"\t\n\x0B\f\r\x20", false, in_class),
            'S' => self.class_of(r"\t\n\x0B\f\r\x20", true, in_class),
            'h' | 'H' => self.class_of(
                r"\x20\t\xA0\x{1680}\x{180e}\x{2000}-\x{200a}\x{202f}\x{205f}\x{3000}",
                c == 'H',
                in_class,
            ),
            'v' | 'V' => self.class_of(r"\n\x0B\f\r\x{85}\x{2028}\x{2029}", c == 'V', in_class),
            'R' if !in_class => self
                .out
                .push_str(r"(?:\r\n|[\n\x0B\f\r\x{85}\x{2028}\x{2029}])"),
            'b' | 'B' if !in_class => self.boundary(c == 'B'),
            'Z' if !in_class => self.end_before_terminator(),
            'A' | 'z' | 'G' if !in_class => {
                self.out.push('\\');
                self.out.push(c);
            }
            'p' | 'P' => self.property(c == 'P', in_class)?,
            't' => self.out.push_str(r"\t"),
            'n' => self.out.push_str(r"\n"),
            'r' => self.out.push_str(r"\r"),
            'f' => self.out.push_str(r"\f"),
            'a' => self.out.push_str(r"\x07"),
            'e' => self.out.push_str(r"\x1B"),
            'x' => self.hex()?,
            'u' => self.unicode_escape()?,
            '0' => self.octal()?,
            'c' => {
                let x = self
                    .next()
                    .ok_or_else(|| error(r"\c needs a control letter"))?;
                let code = u32::from(x) ^ 64;
                self.out.push_str(&format!(r"\x{{{code:X}}}"));
            }
            'k' if !in_class => {
                if !self.eat("<") {
                    return Err(error(r"\k needs a <name>"));
                }
                let mut name = String::new();
                loop {
                    match self.next() {
                        Some('>') => break,
                        Some(n) if n.is_ascii_alphanumeric() => name.push(n),
                        _ => return Err(error(r"bad group name after \k<")),
                    }
                }
                self.backref(&format!("k<{name}>"));
            }
            '1'..='9' if !in_class => {
                // Java reads further digits only while they still name an opened group.
                let mut number = c.to_digit(10).unwrap_or(0);
                while let Some(d) = self.peek().and_then(|d| d.to_digit(10)) {
                    let longer = number * 10 + d;
                    if longer > self.groups {
                        break;
                    }
                    number = longer;
                    self.at += 1;
                }
                self.backref(&number.to_string());
            }
            c if c.is_ascii_alphanumeric() => {
                return Err(error(format!("unsupported escape \\{c}")));
            }
            c if in_class => push_literal(&mut self.out, c),
            c => self.literal(c),
        }
        Ok(())
    }

    fn quoted(&mut self, in_class: bool) {
        while let Some(c) = self.next() {
            if c == '\\' && self.peek() == Some('E') {
                self.at += 1;
                return;
            }
            if in_class {
                push_literal(&mut self.out, c);
            } else {
                self.literal(c);
            }
        }
    }

    /// A class given by its body, negated or not; nested when already inside a class.
    fn class_of(&mut self, body: &str, negated: bool, in_class: bool) {
        if in_class && !negated {
            self.out.push_str(body);
        } else {
            self.out.push('[');
            if negated {
                self.out.push('^');
            }
            self.out.push_str(body);
            self.out.push(']');
        }
    }

    fn boundary(&mut self, negated: bool) {
        if self.flags.unicode_class {
            self.out.push_str(if negated { r"\B" } else { r"\b" });
            return;
        }
        let w = BOUNDARY_WORD;
        if negated {
            self.out
                .push_str(&format!("(?:(?<={w})(?={w})|(?<!{w})(?!{w}))"));
        } else {
            self.out
                .push_str(&format!("(?:(?<={w})(?!{w})|(?<!{w})(?={w}))"));
        }
    }

    fn backref(&mut self, reference: &str) {
        let fold = if self.flags.case_insensitive { "i" } else { "" };
        self.out.push_str(&format!(r"(?{fold}:\{reference})"));
    }

    /// `\p{Name}`, `\pL`, `\P{…}`.
    fn property(&mut self, negated: bool, in_class: bool) -> Result<(), PatternError> {
        let name: String = if self.eat("{") {
            let mut name = String::new();
            loop {
                match self.next() {
                    Some('}') => break,
                    Some(n) => name.push(n),
                    None => return Err(error(r"unclosed \p{")),
                }
            }
            name
        } else {
            self.next()
                .ok_or_else(|| error(r"\p needs a property name"))?
                .to_string()
        };
        let posix = if self.flags.unicode_class {
            None
        } else {
            posix_class(&name)
        };
        if let Some(body) = posix {
            self.class_of(body, negated, in_class);
            return Ok(());
        }
        let name = match name.as_str() {
            "javaLowerCase" => "Lowercase".to_owned(),
            "javaUpperCase" => "Uppercase".to_owned(),
            "javaAlphabetic" => "Alphabetic".to_owned(),
            "javaDigit" => "Nd".to_owned(),
            "javaLetter" => "L".to_owned(),
            "javaWhitespace" => "White_Space".to_owned(),
            n if n.starts_with("java") => {
                return Err(error(format!(r"\p{{{n}}} is not supported by the sandbox")));
            }
            n if n.starts_with("In") && n.len() > 2 => {
                return Err(error(format!(
                    r"Unicode blocks (\p{{{n}}}) are not supported by the sandbox"
                )));
            }
            n => n
                .strip_prefix("Is")
                .filter(|s| !s.is_empty())
                .unwrap_or(n)
                .to_owned(),
        };
        self.out.push_str(if negated { r"\P{" } else { r"\p{" });
        self.out.push_str(&name);
        self.out.push('}');
        Ok(())
    }

    /// `\xhh` or `\x{h…h}`.
    fn hex(&mut self) -> Result<(), PatternError> {
        let digits: String = if self.eat("{") {
            let mut d = String::new();
            loop {
                match self.next() {
                    Some('}') => break,
                    Some(h) if h.is_ascii_hexdigit() => d.push(h),
                    _ => return Err(error(r"bad \x{…} escape")),
                }
            }
            d
        } else {
            (0..2)
                .map(|_| self.next().filter(char::is_ascii_hexdigit))
                .collect::<Option<String>>()
                .ok_or_else(|| error(r"\x needs two hex digits"))?
        };
        let code = u32::from_str_radix(&digits, 16).map_err(|_| error(r"bad \x escape"))?;
        self.code_point(code)
    }

    /// `\uhhhh`, joining a UTF-16 surrogate pair written as two escapes.
    fn unicode_escape(&mut self) -> Result<(), PatternError> {
        let high = self.four_hex()?;
        if (0xD800..0xDC00).contains(&high)
            && self.peek() == Some('\\')
            && self.peek_at(1) == Some('u')
        {
            self.at += 2;
            let low = self.four_hex()?;
            if !(0xDC00..0xE000).contains(&low) {
                return Err(error(r"\u surrogate pair is not valid"));
            }
            return self.code_point(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00));
        }
        self.code_point(high)
    }

    fn four_hex(&mut self) -> Result<u32, PatternError> {
        let digits = (0..4)
            .map(|_| self.next().filter(char::is_ascii_hexdigit))
            .collect::<Option<String>>()
            .ok_or_else(|| error(r"\u needs four hex digits"))?;
        u32::from_str_radix(&digits, 16).map_err(|_| error(r"bad \u escape"))
    }

    /// `\0n`, `\0nn`, `\0mnn` (m ≤ 3).
    fn octal(&mut self) -> Result<(), PatternError> {
        let mut code = 0;
        let mut count = 0;
        while let Some(d) = self.peek().and_then(|d| d.to_digit(8)) {
            if count == 3 || (count == 2 && code > 0o37) {
                break;
            }
            code = code * 8 + d;
            count += 1;
            self.at += 1;
        }
        if count == 0 {
            return Err(error(r"\0 needs octal digits"));
        }
        self.code_point(code)
    }

    fn code_point(&mut self, code: u32) -> Result<(), PatternError> {
        let c =
            char::from_u32(code).ok_or_else(|| error(format!("U+{code:X} is not a character")))?;
        self.out.push_str(&format!(r"\x{{{:X}}}", u32::from(c)));
        Ok(())
    }
}

/// Java's POSIX classes (`\p{Alpha}`…), ASCII by default.
fn posix_class(name: &str) -> Option<&'static str> {
    Some(match name {
        "Lower" => "a-z",
        "Upper" => "A-Z",
        "ASCII" => r"\x00-\x7F",
        "Alpha" => "a-zA-Z",
        "Digit" => "0-9",
        "Alnum" => "a-zA-Z0-9",
        "Punct" => r"\x21-\x2F\x3A-\x40\x5B-\x60\x7B-\x7E",
        "Graph" => r"\x21-\x7E",
        "Print" => r"\x20-\x7E",
        "Blank" => r"\x20\t",
        "Cntrl" => r"\x00-\x1F\x7F",
        "XDigit" => "0-9a-fA-F",
        "Space" => r"\t\n\x0B\f\r\x20",
        _ => return None,
    })
}

/// A character that means itself, inside or outside a class.
fn push_literal(out: &mut String, c: char) {
    if c.is_alphanumeric() || (!c.is_ascii() && !c.is_whitespace()) {
        out.push(c);
    } else {
        out.push_str(&format!(r"\x{{{:X}}}", u32::from(c)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finds(pattern: &str, text: &str) -> bool {
        JavaPattern::compile(pattern)
            .unwrap_or_else(|e| panic!("{pattern:?} should compile: {e}"))
            .find(text)
    }

    #[test]
    fn searches_rather_than_matching_the_whole_message() {
        assert!(finds("^/ack", "/ackcs"));
        assert!(finds("deploy", "please deploy now"));
        assert!(!finds("^deploy", "please deploy now"));
        assert!(finds(r"^/help(\s|$)", "/help"));
        assert!(finds(r"^/help(\s|$)", "/help me"));
        assert!(!finds(r"^/help(\s|$)", "/helpme"));
    }

    #[test]
    fn forgiving_command_patterns_and_the_fallback_hold_in_java() {
        let help = r"(?i)^\s*/help(\s|$)";
        for text in ["/HELP", " /help", "\t/Help me", "/help"] {
            assert!(finds(help, text), "{text:?}");
        }
        assert!(!finds(help, "/helpme"));
        assert!(!finds(help, "say /help"));
        // Java's \s is ASCII: a no-break space before the slash is not a blank.
        assert!(!finds(help, "\u{a0}/help"));
        let fallback = r"(?i)^\s*/[a-z][a-z0-9_-]*(\s|$)";
        for text in ["/incidnet x", " /ZZZZ", "/helpme"] {
            assert!(finds(fallback, text), "{text:?}");
        }
        for text in ["/usr/bin is full", "/ x", "/<b>", "not /a command"] {
            assert!(!finds(fallback, text), "{text:?}");
        }
    }

    #[test]
    fn digit_word_and_space_classes_are_ascii() {
        assert!(finds(r"^\d+$", "123"));
        // Arabic-Indic and fullwidth digits are not Java's \d.
        assert!(!finds(r"\d", "٣"));
        assert!(!finds(r"\d", "３"));
        assert!(finds(r"\D", "٣"));
        assert!(!finds(r"\w", "é"));
        assert!(finds(r"^\w+$", "a_Z9"));
        assert!(!finds(r"\s", "\u{2003}"));
        assert!(finds(r"\s", "\t"));
        assert!(finds(r"[\d.]+", "1.5"));
        assert!(!finds(r"^[\w]+$", "é"));
        assert!(finds(r"^[^\W]+$", "abc"));
        assert!(!finds(r"\p{Alpha}", "é"));
        // (?U) turns Unicode classes on, as Pattern.UNICODE_CHARACTER_CLASS did.
        assert!(finds(r"(?U)\d", "٣"));
    }

    #[test]
    fn word_boundaries_are_java_8_letter_or_digit_boundaries() {
        assert!(finds(r"\bDB-1\b", "see DB-1 now"));
        assert!(!finds(r"\bDB-1\b", "see DB-12 now"));
        // Java 8's \b counts any Unicode letter as a word character, unlike its \w.
        assert!(!finds(r"\bfoo", "éfoo"));
        assert!(finds(r"\Bfoo", "éfoo"));
        assert!(finds(r"\bfoo", "-foo"));
    }

    #[test]
    fn inline_flags_apply_to_the_rest_of_the_group_or_their_scope() {
        assert!(finds("(?i)^/ECHO", "/echo"));
        assert!(finds("(?i:a)b", "Ab"));
        assert!(!finds("(?i:a)b", "AB"));
        assert!(finds("(a(?i)b)c", "aBc"));
        assert!(!finds("(a(?i)b)c", "aBC"));
        assert!(!finds("A", "a"));
        // Java's (?i) folds ASCII only; (?iu) folds Unicode.
        assert!(!finds("(?i)é", "É"));
        assert!(finds("(?iu)é", "É"));
        assert!(finds("(?i)[a-c]+", "ABC"));
        assert!(finds("(?x) a b # comment", "ab"));
        assert!(!finds("(?i-i)a", "A"));
    }

    #[test]
    fn lookahead_and_lookbehind() {
        assert!(finds(r"(?<=@)bot\b", "hi @bot"));
        assert!(!finds(r"(?<=@)bot\b", "hi bot"));
        assert!(finds(r"(?<!not )ready", "ready"));
        assert!(!finds(r"(?<!not )ready", "not ready"));
        assert!(finds(r"^/deploy(?= prod)", "/deploy prod"));
        assert!(!finds(r"^/deploy(?! prod)", "/deploy prod"));
    }

    #[test]
    fn backreferences_numbered_and_named() {
        assert!(finds(r"\b(\w+) \1\b", "the the"));
        assert!(!finds(r"\b(\w+) \1\b", "the cat"));
        assert!(finds(r"(?<w>\w+)-\k<w>", "ab-ab"));
        // Java reads \11 as \1 then '1' when there is no eleventh group.
        assert!(finds(r"(a)\11", "aa1"));
        assert!(finds(r"(?i)(a)\1", "aA"));
    }

    #[test]
    fn quoting_with_q_and_e() {
        assert!(finds(r"\Qa.b*c\E", "xa.b*cx"));
        assert!(!finds(r"\Qa.b*c\E", "aXbbc"));
        assert!(finds(r"^\Q[x]\E$", "[x]"));
        assert!(finds(r"\Q(unclosed", "(unclosed"));
        assert!(finds(r"[\Q-]\E]+", "-]"));
    }

    #[test]
    fn dot_and_dollar_know_java_line_terminators() {
        assert!(!finds("a.b", "a\rb"));
        assert!(!finds("a.b", "a\u{2028}b"));
        assert!(finds("(?s)a.b", "a\rb"));
        assert!(finds("(?d)a.b", "a\rb"));
        // $ also matches before a final line terminator.
        assert!(finds("end$", "the end\n"));
        assert!(finds("end$", "the end\r\n"));
        assert!(!finds("end$", "the end\nmore"));
        assert!(finds("(?m)^b$", "a\rb\rc"));
        assert!(finds(r"end\Z", "end\n"));
        assert!(!finds(r"end\z", "end\n"));
    }

    #[test]
    fn java_escapes() {
        assert!(finds(r"\u00e9", "é"));
        assert!(finds(r"\uD83D\uDE00", "😀"));
        assert!(finds(r"\x41\x{42}", "AB"));
        assert!(finds(r"\0101", "A"));
        assert!(finds(r"\t", "\t"));
        assert!(finds(r"\/help", "/help"));
        assert!(finds(r"a\R", "a\r\n"));
        assert!(finds(r"\h", "\u{A0}"));
        assert!(finds(r"a++b", "aab"));
    }

    #[test]
    fn bad_patterns_are_errors() {
        for bad in [
            "(",
            "[a",
            r"\",
            "a{",
            "(?<=a+",
            r"\q",
            "(?y)a",
            r"\p{InGreek}",
            "*a",
        ] {
            assert!(
                JavaPattern::compile(bad).is_err(),
                "{bad:?} should not compile"
            );
        }
    }
}
