//! A small, bounded JSON scanner (RFC 8259): it validates a value and tells where it and its
//! members lie in the borrowed input, without copying (a string is unescaped only when asked).
//! Nesting is limited to [`MAX_DEPTH`], so hostile input cannot exhaust the stack; every error
//! says at which byte the input stopped being JSON.

use std::borrow::Cow;

/// Deepest nesting of arrays and objects accepted.
pub const MAX_DEPTH: usize = 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Object,
    Array,
    String,
    Number,
    Bool,
    Null,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonError {
    /// The input ended inside a value (at this offset).
    Truncated(usize),
    /// A byte that cannot stand here.
    Unexpected(usize),
    /// Nesting deeper than [`MAX_DEPTH`] at this offset.
    TooDeep(usize),
    /// Bytes after the value.
    Trailing(usize),
}

/// A validated value: its kind and its span `start..end` in `src`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Value<'a> {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
    src: &'a [u8],
}

fn ws(src: &[u8], mut i: usize) -> usize {
    while i < src.len() && matches!(src[i], b' ' | b'\t' | b'\r' | b'\n') {
        i += 1;
    }
    i
}

fn at(src: &[u8], i: usize) -> Result<u8, JsonError> {
    src.get(i).copied().ok_or(JsonError::Truncated(i))
}

fn string_end(src: &[u8], mut i: usize) -> Result<usize, JsonError> {
    // src[i] == '"'
    i += 1;
    loop {
        match at(src, i)? {
            b'"' => return Ok(i + 1),
            b'\\' => match at(src, i + 1)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                b'u' => {
                    for k in 0..4 {
                        if !at(src, i + 2 + k)?.is_ascii_hexdigit() {
                            return Err(JsonError::Unexpected(i + 2 + k));
                        }
                    }
                    i += 6;
                }
                _ => return Err(JsonError::Unexpected(i + 1)),
            },
            c if c < 0x20 => return Err(JsonError::Unexpected(i)),
            _ => i += 1,
        }
    }
}

fn digits(src: &[u8], mut i: usize) -> usize {
    while i < src.len() && src[i].is_ascii_digit() {
        i += 1;
    }
    i
}

fn number_end(src: &[u8], mut i: usize) -> Result<usize, JsonError> {
    if src.get(i) == Some(&b'-') {
        i += 1;
    }
    match at(src, i)? {
        b'0' => i += 1,
        b'1'..=b'9' => i = digits(src, i),
        _ => return Err(JsonError::Unexpected(i)),
    }
    if src.get(i) == Some(&b'.') {
        let j = digits(src, i + 1);
        if j == i + 1 {
            return Err(if j >= src.len() {
                JsonError::Truncated(j)
            } else {
                JsonError::Unexpected(j)
            });
        }
        i = j;
    }
    if matches!(src.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(src.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let j = digits(src, i);
        if j == i {
            return Err(if j >= src.len() {
                JsonError::Truncated(j)
            } else {
                JsonError::Unexpected(j)
            });
        }
        i = j;
    }
    Ok(i)
}

fn literal(src: &[u8], i: usize, word: &[u8]) -> Result<usize, JsonError> {
    for (k, w) in word.iter().enumerate() {
        if at(src, i + k)? != *w {
            return Err(JsonError::Unexpected(i + k));
        }
    }
    Ok(i + word.len())
}

/// The value starting at `i` (no leading whitespace): its kind and end.
fn value_end(src: &[u8], i: usize, depth: usize) -> Result<(Kind, usize), JsonError> {
    match at(src, i)? {
        b'{' | b'[' if depth >= MAX_DEPTH => Err(JsonError::TooDeep(i)),
        b'{' => {
            let mut j = ws(src, i + 1);
            if at(src, j)? == b'}' {
                return Ok((Kind::Object, j + 1));
            }
            loop {
                if at(src, j)? != b'"' {
                    return Err(JsonError::Unexpected(j));
                }
                j = ws(src, string_end(src, j)?);
                if at(src, j)? != b':' {
                    return Err(JsonError::Unexpected(j));
                }
                j = ws(src, j + 1);
                j = ws(src, value_end(src, j, depth + 1)?.1);
                match at(src, j)? {
                    b',' => j = ws(src, j + 1),
                    b'}' => return Ok((Kind::Object, j + 1)),
                    _ => return Err(JsonError::Unexpected(j)),
                }
            }
        }
        b'[' => {
            let mut j = ws(src, i + 1);
            if at(src, j)? == b']' {
                return Ok((Kind::Array, j + 1));
            }
            loop {
                j = ws(src, value_end(src, j, depth + 1)?.1);
                match at(src, j)? {
                    b',' => j = ws(src, j + 1),
                    b']' => return Ok((Kind::Array, j + 1)),
                    _ => return Err(JsonError::Unexpected(j)),
                }
            }
        }
        b'"' => Ok((Kind::String, string_end(src, i)?)),
        b't' => Ok((Kind::Bool, literal(src, i, b"true")?)),
        b'f' => Ok((Kind::Bool, literal(src, i, b"false")?)),
        b'n' => Ok((Kind::Null, literal(src, i, b"null")?)),
        b'-' | b'0'..=b'9' => Ok((Kind::Number, number_end(src, i)?)),
        _ => Err(JsonError::Unexpected(i)),
    }
}

/// The one JSON value that `src` holds (surrounding whitespace allowed).
pub fn parse(src: &[u8]) -> Result<Value<'_>, JsonError> {
    let v = parse_prefix(src, 0)?;
    let e = ws(src, v.end);
    if e != src.len() {
        return Err(JsonError::Trailing(e));
    }
    Ok(v)
}

/// The JSON value that starts at `from` (after optional whitespace); bytes may follow it.
pub fn parse_prefix(src: &[u8], from: usize) -> Result<Value<'_>, JsonError> {
    let start = ws(src, from);
    let (kind, end) = value_end(src, start, 0)?;
    Ok(Value {
        kind,
        start,
        end,
        src,
    })
}

impl<'a> Value<'a> {
    /// The value's bytes as in the input.
    pub fn raw(&self) -> &'a [u8] {
        &self.src[self.start..self.end]
    }

    /// The value's text as in the input (lossy only for invalid UTF-8).
    pub fn text(&self) -> Cow<'a, str> {
        String::from_utf8_lossy(self.raw())
    }

    /// Members of an object, in order (empty for other kinds).
    pub fn members(&self) -> Members<'a> {
        Members {
            src: self.src,
            at: if self.kind == Kind::Object {
                self.start + 1
            } else {
                self.end
            },
            end: self.end,
        }
    }

    /// Elements of an array, in order (empty for other kinds).
    pub fn elements(&self) -> Elements<'a> {
        Elements {
            src: self.src,
            at: if self.kind == Kind::Array {
                self.start + 1
            } else {
                self.end
            },
            end: self.end,
        }
    }

    /// The first member named `key` of an object.
    pub fn get(&self, key: &str) -> Option<Value<'a>> {
        self.members()
            .find(|(k, _)| k.as_str().is_some_and(|s| s == key))
            .map(|(_, v)| v)
    }

    /// A string's unescaped text (borrowed when it has no escapes); None for other kinds and for
    /// strings that are not valid UTF-8 or hold a lone surrogate.
    pub fn as_str(&self) -> Option<Cow<'a, str>> {
        if self.kind != Kind::String {
            return None;
        }
        let inner = &self.src[self.start + 1..self.end - 1];
        if !inner.contains(&b'\\') {
            return std::str::from_utf8(inner).ok().map(Cow::Borrowed);
        }
        let s = std::str::from_utf8(inner).ok()?;
        let mut out = String::with_capacity(s.len());
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next()? {
                'b' => out.push('\u{8}'),
                'f' => out.push('\u{c}'),
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                'u' => {
                    let hex = |cs: &mut std::str::Chars| -> Option<u32> {
                        let h: String = cs.by_ref().take(4).collect();
                        u32::from_str_radix(&h, 16).ok()
                    };
                    let hi = hex(&mut chars)?;
                    let cp = if (0xd800..0xdc00).contains(&hi) {
                        if chars.next()? != '\\' || chars.next()? != 'u' {
                            return None;
                        }
                        let lo = hex(&mut chars)?;
                        if !(0xdc00..0xe000).contains(&lo) {
                            return None;
                        }
                        0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00)
                    } else {
                        hi
                    };
                    out.push(char::from_u32(cp)?);
                }
                c => out.push(c),
            }
        }
        Some(Cow::Owned(out))
    }

    /// A non-negative integer that fits in u64 (no fraction, no exponent).
    pub fn as_u64(&self) -> Option<u64> {
        if self.kind != Kind::Number {
            return None;
        }
        std::str::from_utf8(self.raw()).ok()?.parse().ok()
    }

    pub fn as_bool(&self) -> Option<bool> {
        match (self.kind, self.raw()) {
            (Kind::Bool, b"true") => Some(true),
            (Kind::Bool, _) => Some(false),
            _ => None,
        }
    }
}

/// Iterator over an object's (key, value) pairs.
pub struct Members<'a> {
    src: &'a [u8],
    at: usize,
    end: usize,
}

impl<'a> Iterator for Members<'a> {
    type Item = (Value<'a>, Value<'a>);
    fn next(&mut self) -> Option<Self::Item> {
        let i = ws(self.src, self.at);
        if i >= self.end || self.src[i] != b'"' {
            self.at = self.end;
            return None;
        }
        let key = parse_prefix(self.src, i).ok()?;
        let colon = ws(self.src, key.end);
        let val = parse_prefix(self.src, colon + 1).ok()?;
        let after = ws(self.src, val.end);
        self.at = if self.src.get(after) == Some(&b',') {
            after + 1
        } else {
            self.end
        };
        Some((key, val))
    }
}

/// Iterator over an array's elements.
pub struct Elements<'a> {
    src: &'a [u8],
    at: usize,
    end: usize,
}

impl<'a> Iterator for Elements<'a> {
    type Item = Value<'a>;
    fn next(&mut self) -> Option<Self::Item> {
        let i = ws(self.src, self.at);
        if i >= self.end || self.src[i] == b']' {
            self.at = self.end;
            return None;
        }
        let val = parse_prefix(self.src, i).ok()?;
        let after = ws(self.src, val.end);
        self.at = if self.src.get(after) == Some(&b',') {
            after + 1
        } else {
            self.end
        };
        Some(val)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_spans() {
        let v = parse(br#" {"a": [1, 2.5e3, -0], "b\"c": "x\u00e9\n", "d": null, "e": true} "#)
            .unwrap();
        assert_eq!((v.kind, v.start), (Kind::Object, 1));
        let keys: Vec<String> = v
            .members()
            .map(|(k, _)| k.as_str().unwrap().into_owned())
            .collect();
        assert_eq!(keys, ["a", "b\"c", "d", "e"]);
        let a = v.get("a").unwrap();
        assert_eq!(a.text(), "[1, 2.5e3, -0]");
        let el: Vec<String> = a.elements().map(|e| e.text().into_owned()).collect();
        assert_eq!(el, ["1", "2.5e3", "-0"]);
        assert_eq!(a.elements().next().unwrap().as_u64(), Some(1));
        assert_eq!(v.get("b\"c").unwrap().as_str().unwrap(), "xé\n");
        assert_eq!(v.get("d").unwrap().kind, Kind::Null);
        assert_eq!(v.get("e").unwrap().as_bool(), Some(true));
        assert_eq!(v.get("zz"), None);
    }

    #[test]
    fn surrogate_pairs_and_bad_escapes() {
        let v = parse(br#""\ud83d\ude00""#).unwrap();
        assert_eq!(v.as_str().unwrap(), "😀");
        assert_eq!(parse(br#""\ud83d""#).unwrap().as_str(), None);
        assert_eq!(parse(br#""\x""#), Err(JsonError::Unexpected(2)));
        assert_eq!(parse(b"\"a\x01\""), Err(JsonError::Unexpected(2)));
    }

    #[test]
    fn errors_say_where() {
        assert_eq!(parse(b""), Err(JsonError::Truncated(0)));
        assert_eq!(parse(b"[1,"), Err(JsonError::Truncated(3)));
        assert_eq!(parse(b"{\"a\":1"), Err(JsonError::Truncated(6)));
        assert_eq!(parse(b"[1 2]"), Err(JsonError::Unexpected(3)));
        assert_eq!(parse(b"01"), Err(JsonError::Trailing(1)));
        assert_eq!(parse(b"1."), Err(JsonError::Truncated(2)));
        assert_eq!(parse(b"1.x"), Err(JsonError::Unexpected(2)));
        assert_eq!(parse(b"tru"), Err(JsonError::Truncated(3)));
        assert_eq!(parse(b"{1:2}"), Err(JsonError::Unexpected(1)));
        assert_eq!(parse(b"[] x"), Err(JsonError::Trailing(3)));
    }

    #[test]
    fn depth_is_bounded() {
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(ok.as_bytes()).is_ok());
        let deep = "[".repeat(100_000);
        assert_eq!(parse(deep.as_bytes()), Err(JsonError::TooDeep(MAX_DEPTH)));
    }

    #[test]
    fn huge_numbers_are_not_u64() {
        let v = parse(b"184467440737095516160").unwrap();
        assert_eq!(v.kind, Kind::Number);
        assert_eq!(v.as_u64(), None);
        assert_eq!(parse(b"1e999").unwrap().as_u64(), None);
        assert_eq!(
            parse(b"18446744073709551615").unwrap().as_u64(),
            Some(u64::MAX)
        );
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            let mut buf = Vec::new();
            for _ in 0..(x % 40) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let alphabet = b"{}[]\":,0123456789.eE-+tfnaulrs\\u \x00\xff";
                buf.push(alphabet[(x % alphabet.len() as u64) as usize]);
            }
            if let Ok(v) = parse(&buf) {
                let _ = v.members().count() + v.elements().count();
                let _ = v.as_str();
            }
            x = x.wrapping_add(1);
        }
    }
}
