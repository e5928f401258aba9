//! A span-carrying value tree, the one representation both syntaxes are read into: TOML
//! through `toml_edit` (which keeps byte spans), JSON through `serde_json` (for syntax errors
//! with line and column) and then a small scanner of the already-valid text (for spans).
//! Everything after this module sees only [`Node`]s, so positions work the same way for both.
//! Called by `reader` for each file; [`line_col`] turns a byte offset into the LINE:COLUMN
//! of a [`Problem`](super::Problem).

use std::ops::Range;

/// Which syntax a file is written in, chosen by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// `.toml`
    Toml,
    /// `.json`
    Json,
}

impl Syntax {
    /// The syntax of a file named `name`, from its extension (`.toml` or `.json`, in any
    /// case); `None` for any other.
    pub fn of_file_name(name: &str) -> Option<Syntax> {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".toml") {
            Some(Syntax::Toml)
        } else if lower.ends_with(".json") {
            Some(Syntax::Json)
        } else {
            None
        }
    }
}

/// A value with the byte range it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Byte range in the source text.
    pub span: Range<usize>,
    /// The value.
    pub value: Value,
}

/// A table key with its byte range.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    /// The key as written (unquoted).
    pub name: String,
    /// Byte range in the source text.
    pub span: Range<usize>,
}

/// The values both syntaxes share. TOML dates and times are kept as their text.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// JSON `null` (TOML has none).
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float (and JSON integers beyond `i64`).
    Float(f64),
    /// A string (or a TOML date-time as written).
    Str(String),
    /// An array.
    Array(Vec<Node>),
    /// A table (TOML) or object (JSON), in source order.
    Table(Vec<(Key, Node)>),
}

impl Node {
    /// The value under `key`, if this is a table that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Table(entries) => entries.iter().find(|(k, _)| k.name == key).map(|e| &e.1),
            _ => None,
        }
    }

    /// The key of `key`, if this is a table that has it.
    pub fn key(&self, key: &str) -> Option<&Key> {
        match &self.value {
            Value::Table(entries) => entries.iter().find(|(k, _)| k.name == key).map(|e| &e.0),
            _ => None,
        }
    }
}

/// A syntax error: where and what.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    /// Byte offset of the error, when known as an offset.
    pub offset: Option<usize>,
    /// Line and column (1-based), when known directly (JSON).
    pub line_col: Option<(usize, usize)>,
    /// What is wrong.
    pub message: String,
}

/// Reads `text` in `syntax` into a node tree.
pub fn parse(text: &str, syntax: Syntax) -> Result<Node, SyntaxError> {
    match syntax {
        Syntax::Toml => parse_toml(text),
        Syntax::Json => parse_json(text),
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

// ----- TOML -----------------------------------------------------------------------------

fn parse_toml(text: &str) -> Result<Node, SyntaxError> {
    let doc = toml_edit::ImDocument::parse(text).map_err(|e| SyntaxError {
        offset: e.span().map(|s| s.start),
        line_col: None,
        message: toml_message(e.message()),
    })?;
    Ok(toml_table(doc.as_table(), 0..0))
}

/// toml_edit's message on one line: `invalid string; expected `"`, `'``.
fn toml_message(message: &str) -> String {
    let lines: Vec<&str> = message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let mut s = lines.join("; ");
    if let Some(first) = s.get(..1) {
        let lower = first.to_lowercase();
        s.replace_range(..1, &lower);
    }
    s
}

fn toml_table(table: &toml_edit::Table, fallback: Range<usize>) -> Node {
    let span = table.span().unwrap_or(fallback);
    let entries = toml_entries(table.iter().map(|e| e.0), |k| table.get_key_value(k), &span);
    Node {
        span,
        value: Value::Table(entries),
    }
}

/// The entries of a table or inline table, each key with its span (the table's if unknown).
fn toml_entries<'a>(
    names: impl Iterator<Item = &'a str>,
    get: impl Fn(&str) -> Option<(&'a toml_edit::Key, &'a toml_edit::Item)>,
    span: &Range<usize>,
) -> Vec<(Key, Node)> {
    let mut entries = Vec::new();
    for name in names {
        let Some((key, item)) = get(name) else {
            continue;
        };
        let key_span = key.span().unwrap_or(span.clone());
        if let Some(node) = toml_item(item, key_span.clone()) {
            let name = name.to_owned();
            entries.push((
                Key {
                    name,
                    span: key_span,
                },
                node,
            ));
        }
    }
    entries
}

fn toml_item(item: &toml_edit::Item, fallback: Range<usize>) -> Option<Node> {
    Some(match item {
        toml_edit::Item::None => return None,
        toml_edit::Item::Value(v) => toml_value(v, fallback),
        toml_edit::Item::Table(t) => toml_table(t, fallback),
        toml_edit::Item::ArrayOfTables(a) => Node {
            span: a.span().unwrap_or(fallback.clone()),
            value: Value::Array(a.iter().map(|t| toml_table(t, fallback.clone())).collect()),
        },
    })
}

fn toml_value(value: &toml_edit::Value, fallback: Range<usize>) -> Node {
    use toml_edit::Value as V;
    let span = value.span().unwrap_or(fallback);
    let value = match value {
        V::String(s) => Value::Str(s.value().clone()),
        V::Integer(i) => Value::Int(*i.value()),
        V::Float(f) => Value::Float(*f.value()),
        V::Boolean(b) => Value::Bool(*b.value()),
        V::Datetime(d) => Value::Str(d.value().to_string()),
        V::Array(a) => Value::Array(a.iter().map(|v| toml_value(v, span.clone())).collect()),
        V::InlineTable(t) => Value::Table(toml_entries(
            t.iter().map(|e| e.0),
            |k| t.get_key_value(k),
            &span,
        )),
    };
    Node { span, value }
}

// ----- JSON -----------------------------------------------------------------------------

fn parse_json(text: &str) -> Result<Node, SyntaxError> {
    // serde_json finds syntax errors (with line and column); the scanner below then only
    // ever sees valid JSON and records where each value and key is.
    if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(text) {
        let full = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let message = full.strip_suffix(&suffix).unwrap_or(&full).to_owned();
        // serde_json counts columns in bytes; report characters like everywhere else.
        let line = e.line().max(1);
        let line_text = text.lines().nth(line - 1).unwrap_or("");
        let mut bytes = e.column().saturating_sub(1).min(line_text.len());
        while !line_text.is_char_boundary(bytes) {
            bytes -= 1;
        }
        let column = line_text[..bytes].chars().count() + 1;
        return Err(SyntaxError {
            offset: None,
            line_col: Some((line, column)),
            message,
        });
    }
    let mut scanner = Scanner {
        text,
        pos: 0,
        problem: None,
    };
    scanner.skip_ws();
    scanner.value(0).ok_or_else(|| {
        let (offset, message) = scanner
            .problem
            .take()
            .unwrap_or_else(|| (scanner.pos, "cannot read this JSON value".into()));
        SyntaxError {
            offset: Some(offset),
            line_col: None,
            message,
        }
    })
}

/// Most nesting the scanner follows (serde_json stops at 128 too).
const MAX_DEPTH: usize = 128;

struct Scanner<'a> {
    text: &'a str,
    pos: usize,
    /// Where and why the scan stopped, when it knows better than "cannot read".
    problem: Option<(usize, String)>,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        self.skip_ws();
        (self.peek() == Some(b)).then(|| self.pos += 1)
    }

    /// Stops the scan at `offset` for `message`.
    fn fail<T>(&mut self, offset: usize, message: String) -> Option<T> {
        self.problem = Some((offset, message));
        None
    }

    fn value(&mut self, depth: usize) -> Option<Node> {
        self.skip_ws();
        if depth > MAX_DEPTH {
            return self.fail(
                self.pos,
                format!("nesting too deep: at most {MAX_DEPTH} levels of arrays and objects"),
            );
        }
        let start = self.pos;
        let value = match self.peek()? {
            b'{' => {
                self.pos += 1;
                let mut entries: Vec<(Key, Node)> = Vec::new();
                if self.eat(b'}').is_none() {
                    loop {
                        self.skip_ws();
                        let key_start = self.pos;
                        let name = self.string()?;
                        if let Some((first, _)) = entries.iter().find(|(k, _)| k.name == name) {
                            let (line, column) = line_col(self.text, first.span.start);
                            return self.fail(
                                key_start,
                                format!(
                                    "duplicate key {name:?} (first at line {line}, column \
                                     {column}): a key may appear once in an object"
                                ),
                            );
                        }
                        let key = Key {
                            name,
                            span: key_start..self.pos,
                        };
                        self.eat(b':')?;
                        let node = self.value(depth + 1)?;
                        entries.push((key, node));
                        if self.eat(b',').is_none() {
                            self.eat(b'}')?;
                            break;
                        }
                    }
                }
                Value::Table(entries)
            }
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                if self.eat(b']').is_none() {
                    loop {
                        items.push(self.value(depth + 1)?);
                        if self.eat(b',').is_none() {
                            self.eat(b']')?;
                            break;
                        }
                    }
                }
                Value::Array(items)
            }
            b'"' => Value::Str(self.string()?),
            _ => {
                let len = self.text[self.pos..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '+' | '.')))
                    .unwrap_or(self.text.len() - self.pos);
                let word = &self.text[self.pos..self.pos + len];
                self.pos += len;
                match word {
                    "null" => Value::Null,
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    _ => match serde_json::from_str::<serde_json::Number>(word) {
                        Ok(n) if n.is_i64() => Value::Int(n.as_i64()?),
                        Ok(n) => Value::Float(n.as_f64()?),
                        Err(_) => {
                            return self.fail(
                                start,
                                format!(
                                    "number out of range: {word} does not fit a 64-bit float \
                                     (at most about 1.8e308)"
                                ),
                            );
                        }
                    },
                }
            }
        };
        Some(Node {
            span: start..self.pos,
            value,
        })
    }

    /// A string token: found by its closing quote, decoded by serde_json.
    fn string(&mut self) -> Option<String> {
        let bytes = self.text.as_bytes();
        if bytes.get(self.pos) != Some(&b'"') {
            return None;
        }
        let start = self.pos;
        let mut i = self.pos + 1;
        loop {
            match bytes.get(i)? {
                b'\\' => i += 2,
                b'"' => break,
                _ => i += 1,
            }
        }
        self.pos = i + 1;
        serde_json::from_str(self.text.get(start..self.pos)?).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span_text<'a>(text: &'a str, node: &Node) -> &'a str {
        &text[node.span.clone()]
    }

    #[test]
    fn json_values_and_keys_carry_their_exact_spans() {
        let text = "{\n  \"a\": [1, \"x\\\"y\", {\"b\": null}],\n  \"c\": -2.5e1\n}";
        let root = parse(text, Syntax::Json).expect("valid");
        let a = root.get("a").expect("a");
        assert_eq!(span_text(text, a), "[1, \"x\\\"y\", {\"b\": null}]");
        let Value::Array(items) = &a.value else {
            panic!("array")
        };
        assert_eq!(items[1].value, Value::Str("x\"y".into()));
        assert_eq!(span_text(text, &items[1]), "\"x\\\"y\"");
        assert_eq!(
            root.get("c").map(|c| c.value.clone()),
            Some(Value::Float(-25.0))
        );
        let key = root.key("c").expect("key");
        assert_eq!(line_col(text, key.span.start), (3, 3));
    }

    #[test]
    fn toml_values_and_keys_carry_their_spans() {
        let text = "name = \"x\"\n[[conversations]]\ntype = \"queue\"\nat = 1979-05-27T07:32:00Z\n";
        let root = parse(text, Syntax::Toml).expect("valid");
        let Some(Value::Array(convs)) = root.get("conversations").map(|n| &n.value) else {
            panic!("array of tables")
        };
        let t = convs[0].get("type").expect("type");
        assert_eq!(span_text(text, t), "\"queue\"");
        assert_eq!(line_col(text, t.span.start), (3, 8));
        let at = convs[0].get("at").expect("at");
        assert_eq!(at.value, Value::Str("1979-05-27T07:32:00Z".into()));
    }

    #[test]
    fn json_syntax_errors_have_a_line_and_column() {
        let err = parse("{\n  \"a\": ,\n}", Syntax::Json).unwrap_err();
        assert_eq!(err.line_col, Some((2, 8)));
        assert_eq!(err.message, "expected value");
    }

    #[test]
    fn json_the_scanner_refuses_says_why_and_where() {
        let at = |text: &str| {
            let e = parse(text, Syntax::Json).unwrap_err();
            let (line, column) = e
                .line_col
                .unwrap_or_else(|| line_col(text, e.offset.unwrap_or(0)));
            format!("{line}:{column}: {}", e.message)
        };
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert_eq!(
            at(&deep),
            "1:130: nesting too deep: at most 128 levels of arrays and objects"
        );
        assert_eq!(
            at("{\"speed\": 1e400}"),
            "1:11: number out of range: 1e400 does not fit a 64-bit float (at most about 1.8e308)"
        );
        assert_eq!(
            at("{\n  \"seed\": 1,\n  \"seed\": 2\n}"),
            "3:3: duplicate key \"seed\" (first at line 2, column 3): a key may appear once in \
             an object"
        );
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        assert_eq!(line_col("名字 = 1", 9), (1, 6));
        let err = parse("{\"名字\": ,}", Syntax::Json).unwrap_err();
        assert_eq!(err.line_col, Some((1, 8)), "{err:?}");
    }
}
