//! The ACD condition expression language (`where` and `sort`): parsed once, typed, then
//! evaluated per agent against its skill scores.
//!
//! The language, as the platform documents it: number literals, `true`/`false`,
//! `+ - * / %`, `== != > < >= <=`, `&& ||`, `!` and unary `-`, parentheses,
//! `get("skill")` (the agent's score in that skill, a number) and `has("skill")` (whether
//! it has that skill, a boolean), string literals only as those functions' argument, and
//! a mandatory final `;`. Precedence, loosest first: `||`, `&&`, `== !=`, `< > <= >=`,
//! `+ -`, `* / %`, unary `! -`.
//!
//! Decisions where the platform's docs say nothing:
//! - Types are checked when parsing: arithmetic and `< > <= >=` take numbers, `&& || !`
//!   take booleans, `== !=` take two values of the same type. `get("a") > 1 && 2` or
//!   `true == 1` is refused naming the operator and its column, so evaluation cannot fail
//!   on a type.
//! - Numbers are 64-bit floats (`7 / 2` is `3.5`, `7 % 2` is `1`).
//! - Dividing (or taking the remainder) by zero makes the whole expression undefined for
//!   that agent: a `where` does not select it ([`Expr::matches`] is false) and a `sort`
//!   ranks it last ([`Expr::score`] is negative infinity).
//! - A skill the agent lacks (or has disabled): `get` is `0`, `has` is `false`.
//! - Anything else (variables, other functions, strings outside a call, `=`, `&`,
//!   text after the `;`) is refused with the construct and its 1-based column.

use std::fmt;

/// A parsed, type-checked expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    root: Node,
    ty: Type,
}

/// An expression's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    /// A number (a `sort`).
    Number,
    /// A boolean (a `where`).
    Boolean,
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Type::Number => "a number",
            Type::Boolean => "a boolean",
        })
    }
}

/// Why an expression was refused: what, and where (1-based column, and line when the
/// source has several).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    /// The construct refused, and why.
    pub what: String,
    /// The 1-based line.
    pub line: usize,
    /// The 1-based column (in characters).
    pub column: usize,
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 1 {
            write!(
                f,
                "{} at line {}, column {}",
                self.what, self.line, self.column
            )
        } else {
            write!(f, "{} at column {}", self.what, self.column)
        }
    }
}

impl std::error::Error for ExprError {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
    And,
    Or,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Num(f64),
    Bool(bool),
    Get(String),
    Has(String),
    Not(Box<Node>),
    Neg(Box<Node>),
    Bin(BinOp, Box<Node>, Box<Node>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Value {
    Num(f64),
    Bool(bool),
}

impl Expr {
    /// Parses and type-checks `src`, which must end with `;`.
    pub fn parse(src: &str) -> Result<Expr, ExprError> {
        let tokens = lex(src)?;
        let mut parser = Parser {
            tokens,
            pos: 0,
            src,
        };
        let (root, ty) = parser.expr(0)?;
        let tok = parser.peek();
        match tok.kind {
            Tok::Semi => {}
            Tok::End => {
                return Err(parser.error_at(tok.at, "missing final \";\"".to_owned()));
            }
            _ => {
                let what = format!("unexpected {}", tok.kind.describe());
                return Err(parser.error_at(tok.at, what));
            }
        }
        parser.pos += 1;
        let after = parser.peek();
        if after.kind != Tok::End {
            let what = format!("unexpected {} after the final \";\"", after.kind.describe());
            return Err(parser.error_at(after.at, what));
        }
        Ok(Expr { root, ty })
    }

    /// The expression's type: a `where` must be [`Type::Boolean`], a `sort`
    /// [`Type::Number`].
    pub fn ty(&self) -> Type {
        self.ty
    }

    /// Whether an agent whose enabled skills score as `skill` says is selected (a
    /// `where`). A number counts as true when it is not zero; an undefined result
    /// (division by zero) is false.
    pub fn matches(&self, skill: &dyn Fn(&str) -> Option<i64>) -> bool {
        match eval(&self.root, skill) {
            Some(Value::Bool(b)) => b,
            Some(Value::Num(n)) => n != 0.0 && !n.is_nan(),
            None => false,
        }
    }

    /// An agent's weight (a `sort`, higher first). A boolean weighs 1 or 0; an undefined
    /// result (division by zero) weighs negative infinity.
    pub fn score(&self, skill: &dyn Fn(&str) -> Option<i64>) -> f64 {
        match eval(&self.root, skill) {
            Some(Value::Num(n)) if !n.is_nan() => n,
            Some(Value::Bool(b)) => f64::from(u8::from(b)),
            _ => f64::NEG_INFINITY,
        }
    }
}

fn eval(node: &Node, skill: &dyn Fn(&str) -> Option<i64>) -> Option<Value> {
    Some(match node {
        Node::Num(n) => Value::Num(*n),
        Node::Bool(b) => Value::Bool(*b),
        // Scores are small integers: the conversion is exact for them.
        #[allow(clippy::cast_precision_loss)]
        Node::Get(name) => Value::Num(skill(name).map_or(0.0, |s| s as f64)),
        Node::Has(name) => Value::Bool(skill(name).is_some()),
        Node::Not(inner) => Value::Bool(!as_bool(eval(inner, skill)?)),
        Node::Neg(inner) => Value::Num(-as_num(eval(inner, skill)?)),
        Node::Bin(op, l, r) => {
            // `&&` and `||` short-circuit.
            match op {
                BinOp::And => {
                    return if as_bool(eval(l, skill)?) {
                        eval(r, skill)
                    } else {
                        Some(Value::Bool(false))
                    };
                }
                BinOp::Or => {
                    return if as_bool(eval(l, skill)?) {
                        Some(Value::Bool(true))
                    } else {
                        eval(r, skill)
                    };
                }
                _ => {}
            }
            let l = eval(l, skill)?;
            let r = eval(r, skill)?;
            match (op, l, r) {
                (BinOp::Eq, a, b) => Value::Bool(a == b),
                (BinOp::Ne, a, b) => Value::Bool(a != b),
                (_, Value::Num(a), Value::Num(b)) => match op {
                    BinOp::Add => Value::Num(a + b),
                    BinOp::Sub => Value::Num(a - b),
                    BinOp::Mul => Value::Num(a * b),
                    BinOp::Div | BinOp::Rem if b == 0.0 => return None,
                    BinOp::Div => Value::Num(a / b),
                    BinOp::Rem => Value::Num(a % b),
                    BinOp::Gt => Value::Bool(a > b),
                    BinOp::Lt => Value::Bool(a < b),
                    BinOp::Ge => Value::Bool(a >= b),
                    BinOp::Le => Value::Bool(a <= b),
                    BinOp::Eq | BinOp::Ne | BinOp::And | BinOp::Or => return None,
                },
                // Ruled out by the type check.
                _ => return None,
            }
        }
    })
}

fn as_bool(v: Value) -> bool {
    match v {
        Value::Bool(b) => b,
        Value::Num(n) => n != 0.0,
    }
}

fn as_num(v: Value) -> f64 {
    match v {
        Value::Num(n) => n,
        Value::Bool(b) => f64::from(u8::from(b)),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Str(String),
    Ident(String),
    Op(&'static str),
    LParen,
    RParen,
    Comma,
    Semi,
    End,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Num(n) => format!("number {n}"),
            Tok::Str(s) => format!("string \"{s}\""),
            Tok::Ident(s) => format!("name \"{s}\""),
            Tok::Op(op) => format!("\"{op}\""),
            Tok::LParen => "\"(\"".to_owned(),
            Tok::RParen => "\")\"".to_owned(),
            Tok::Comma => "\",\"".to_owned(),
            Tok::Semi => "\";\"".to_owned(),
            Tok::End => "end of expression".to_owned(),
        }
    }
}

#[derive(Debug, Clone)]
struct Token {
    kind: Tok,
    /// Character offset in the source.
    at: usize,
}

fn position(src: &str, at: usize) -> (usize, usize) {
    let mut line = 1;
    let mut column = 1;
    for c in src.chars().take(at) {
        if c == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    (line, column)
}

fn error(src: &str, at: usize, what: String) -> ExprError {
    let (line, column) = position(src, at);
    ExprError { what, line, column }
}

const OPERATORS: [&str; 17] = [
    "==", "!=", ">=", "<=", "&&", "||", "+", "-", "*", "/", "%", ">", "<", "!", "=", "&", "|",
];

fn lex(src: &str) -> Result<Vec<Token>, ExprError> {
    let chars: Vec<char> = src.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let at = i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let kind = if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            let n = text
                .parse::<f64>()
                .map_err(|_| error(src, at, format!("malformed number \"{text}\"")))?;
            if i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                let what = format!("malformed number \"{text}{}\"", chars[i]);
                return Err(error(src, at, what));
            }
            Tok::Num(n)
        } else if c.is_alphabetic() || c == '_' || c == '$' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$')
            {
                i += 1;
            }
            Tok::Ident(chars[start..i].iter().collect())
        } else if c == '"' || c == '\'' {
            i += 1;
            let mut s = String::new();
            loop {
                match chars.get(i) {
                    None => return Err(error(src, at, "unterminated string".to_owned())),
                    Some(&q) if q == c => {
                        i += 1;
                        break;
                    }
                    Some('\\') => {
                        match chars.get(i + 1) {
                            Some(&e @ ('\\' | '"' | '\'')) => s.push(e),
                            _ => {
                                return Err(error(
                                    src,
                                    i,
                                    "unsupported escape in a string".to_owned(),
                                ));
                            }
                        }
                        i += 2;
                    }
                    Some(&other) => {
                        s.push(other);
                        i += 1;
                    }
                }
            }
            Tok::Str(s)
        } else {
            match c {
                '(' => {
                    i += 1;
                    Tok::LParen
                }
                ')' => {
                    i += 1;
                    Tok::RParen
                }
                ',' => {
                    i += 1;
                    Tok::Comma
                }
                ';' => {
                    i += 1;
                    Tok::Semi
                }
                _ => {
                    let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
                    let Some(op) = OPERATORS.iter().find(|op| rest.starts_with(**op)) else {
                        return Err(error(src, at, format!("unexpected character \"{c}\"")));
                    };
                    match *op {
                        "=" => {
                            return Err(error(src, at, "\"=\" (comparison is \"==\")".to_owned()));
                        }
                        "&" => {
                            return Err(error(src, at, "\"&\" (logical and is \"&&\")".to_owned()));
                        }
                        "|" => {
                            return Err(error(src, at, "\"|\" (logical or is \"||\")".to_owned()));
                        }
                        _ => {}
                    }
                    i += op.chars().count();
                    Tok::Op(op)
                }
            }
        };
        tokens.push(Token { kind, at });
    }
    tokens.push(Token {
        kind: Tok::End,
        at: chars.len(),
    });
    Ok(tokens)
}

struct Parser<'a> {
    tokens: Vec<Token>,
    pos: usize,
    src: &'a str,
}

fn binop(op: &str) -> Option<(BinOp, u8)> {
    Some(match op {
        "||" => (BinOp::Or, 1),
        "&&" => (BinOp::And, 2),
        "==" => (BinOp::Eq, 3),
        "!=" => (BinOp::Ne, 3),
        ">" => (BinOp::Gt, 4),
        "<" => (BinOp::Lt, 4),
        ">=" => (BinOp::Ge, 4),
        "<=" => (BinOp::Le, 4),
        "+" => (BinOp::Add, 5),
        "-" => (BinOp::Sub, 5),
        "*" => (BinOp::Mul, 6),
        "/" => (BinOp::Div, 6),
        "%" => (BinOp::Rem, 6),
        _ => return None,
    })
}

impl Parser<'_> {
    fn peek(&self) -> Token {
        self.tokens
            .get(self.pos)
            .or_else(|| self.tokens.last())
            .cloned()
            .unwrap_or(Token {
                kind: Tok::End,
                at: 0,
            })
    }

    fn error_at(&self, at: usize, what: String) -> ExprError {
        error(self.src, at, what)
    }

    /// Precedence climbing: operators binding tighter than `min`.
    fn expr(&mut self, min: u8) -> Result<(Node, Type), ExprError> {
        let (mut left, mut left_ty) = self.unary()?;
        loop {
            let tok = self.peek();
            let Tok::Op(op) = tok.kind else { break };
            let Some((bin, prec)) = binop(op) else { break };
            if prec <= min {
                break;
            }
            self.pos += 1;
            let (right, right_ty) = self.expr(prec)?;
            let ty = match bin {
                BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem => {
                    self.operands(op, tok.at, Type::Number, left_ty, right_ty)?;
                    Type::Number
                }
                BinOp::Gt | BinOp::Lt | BinOp::Ge | BinOp::Le => {
                    self.operands(op, tok.at, Type::Number, left_ty, right_ty)?;
                    Type::Boolean
                }
                BinOp::And | BinOp::Or => {
                    self.operands(op, tok.at, Type::Boolean, left_ty, right_ty)?;
                    Type::Boolean
                }
                BinOp::Eq | BinOp::Ne => {
                    if left_ty != right_ty {
                        let what = format!("\"{op}\" compares {left_ty} with {right_ty}");
                        return Err(self.error_at(tok.at, what));
                    }
                    Type::Boolean
                }
            };
            left = Node::Bin(bin, Box::new(left), Box::new(right));
            left_ty = ty;
        }
        Ok((left, left_ty))
    }

    fn operands(&self, op: &str, at: usize, want: Type, l: Type, r: Type) -> Result<(), ExprError> {
        for got in [l, r] {
            if got != want {
                let what = format!("\"{op}\" needs {want} on each side, not {got}");
                return Err(self.error_at(at, what));
            }
        }
        Ok(())
    }

    fn unary(&mut self) -> Result<(Node, Type), ExprError> {
        let tok = self.peek();
        match tok.kind {
            Tok::Op("!") => {
                self.pos += 1;
                let (inner, ty) = self.unary()?;
                if ty != Type::Boolean {
                    return Err(self.error_at(tok.at, format!("\"!\" needs a boolean, not {ty}")));
                }
                Ok((Node::Not(Box::new(inner)), Type::Boolean))
            }
            Tok::Op("-") => {
                self.pos += 1;
                let (inner, ty) = self.unary()?;
                if ty != Type::Number {
                    return Err(self.error_at(tok.at, format!("\"-\" needs a number, not {ty}")));
                }
                Ok((Node::Neg(Box::new(inner)), Type::Number))
            }
            _ => self.primary(),
        }
    }

    fn primary(&mut self) -> Result<(Node, Type), ExprError> {
        let tok = self.peek();
        self.pos += 1;
        match tok.kind {
            Tok::Num(n) => Ok((Node::Num(n), Type::Number)),
            Tok::Ident(name) if name == "true" => Ok((Node::Bool(true), Type::Boolean)),
            Tok::Ident(name) if name == "false" => Ok((Node::Bool(false), Type::Boolean)),
            Tok::Ident(name) => {
                if self.peek().kind != Tok::LParen {
                    return Err(self.error_at(tok.at, format!("unknown name \"{name}\"")));
                }
                let ty = match name.as_str() {
                    "get" => Type::Number,
                    "has" => Type::Boolean,
                    _ => return Err(self.error_at(tok.at, format!("unknown function \"{name}\""))),
                };
                self.pos += 1;
                let arg = self.peek();
                let Tok::Str(skill) = arg.kind else {
                    let what = format!(
                        "{}(…) takes one string (a skill name), not {}",
                        name,
                        arg.kind.describe()
                    );
                    return Err(self.error_at(arg.at, what));
                };
                self.pos += 1;
                let close = self.peek();
                if close.kind != Tok::RParen {
                    let what = format!(
                        "{name}(…) takes one argument: expected \")\", found {}",
                        close.kind.describe()
                    );
                    return Err(self.error_at(close.at, what));
                }
                self.pos += 1;
                let node = if ty == Type::Number {
                    Node::Get(skill)
                } else {
                    Node::Has(skill)
                };
                Ok((node, ty))
            }
            Tok::LParen => {
                let inner = self.expr(0)?;
                let close = self.peek();
                if close.kind != Tok::RParen {
                    let what = format!("expected \")\", found {}", close.kind.describe());
                    return Err(self.error_at(close.at, what));
                }
                self.pos += 1;
                Ok(inner)
            }
            Tok::Str(s) => {
                Err(self.error_at(tok.at, format!("string \"{s}\" outside get(…) or has(…)")))
            }
            Tok::End => Err(self.error_at(tok.at, "expression ends too early".to_owned())),
            other => Err(self.error_at(tok.at, format!("unexpected {}", other.describe()))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skills(name: &str) -> Option<i64> {
        match name {
            "技能1" => Some(70),
            "技能2" => Some(40),
            "售后" => Some(0),
            _ => None,
        }
    }

    fn err(src: &str) -> String {
        Expr::parse(src).unwrap_err().to_string()
    }

    #[test]
    fn the_docs_where_examples() {
        let e = Expr::parse(r#"get("技能1") > 60 && get("技能2") > 50;"#).unwrap();
        assert_eq!(e.ty(), Type::Boolean);
        assert!(!e.matches(&skills));
        assert!(e.matches(&|n| Some(if n == "技能1" { 61 } else { 51 })));
        let e = Expr::parse(r#"(get("技能1") + get("技能2")) >=100;"#).unwrap();
        assert!(e.matches(&skills));
        assert!(!e.matches(&|_| None));
        let e = Expr::parse("1==1;").unwrap();
        assert!(e.matches(&|_| None));
    }

    #[test]
    fn the_docs_sort_examples() {
        let e = Expr::parse(r#"get("技能1") + get("技能2");"#).unwrap();
        assert_eq!(e.ty(), Type::Number);
        assert_eq!(e.score(&skills), 110.0);
        let e = Expr::parse(r#"(get("技能1") + get("技能2")) /2;"#).unwrap();
        assert_eq!(e.score(&skills), 55.0);
    }

    #[test]
    fn the_docs_operator_table() {
        // A = 10, B = 20.
        let cases = [
            ("10 + 20;", 30.0),
            ("10 - 20;", -10.0),
            ("10 * 20;", 200.0),
            ("20 / 10;", 2.0),
            ("20 % 10;", 0.0),
            ("7 % 2;", 1.0),
            ("7 / 2;", 3.5),
            ("2 + 3 * 4;", 14.0),
            ("(2 + 3) * 4;", 20.0),
            ("10 - 2 - 3;", 5.0),
            ("-3 + 1;", -2.0),
            ("1.5 * 2;", 3.0),
        ];
        for (src, want) in cases {
            assert_eq!(Expr::parse(src).unwrap().score(&|_| None), want, "{src}");
        }
        let truths = [
            ("(10 == 20);", false),
            ("(10 != 20);", true),
            ("(10 > 20);", false),
            ("(10 < 20);", true),
            ("(10 >= 20);", false),
            ("(10 <= 20);", true),
            ("(true && false);", false),
            ("(true || false);", true),
            ("!false;", true),
            ("true == true;", true),
            ("1 < 2 == 2 < 3;", true),
            ("false || true && false;", false),
            ("true || true && false;", true),
            ("!true || true;", true),
            (r#"has("售后");"#, true),
            (r#"has("其他");"#, false),
            (r#"get("其他") == 0;"#, true),
            (r#"has('技能1') && get('技能1') >= 70;"#, true),
        ];
        for (src, want) in truths {
            assert_eq!(Expr::parse(src).unwrap().matches(&skills), want, "{src}");
        }
    }

    #[test]
    fn division_by_zero_selects_nobody_and_sorts_last() {
        let e = Expr::parse(r#"10 / get("其他") > 1;"#).unwrap();
        assert!(!e.matches(&skills));
        let e = Expr::parse(r#"10 % get("售后");"#).unwrap();
        assert_eq!(e.score(&skills), f64::NEG_INFINITY);
        // Short-circuit: the undefined side is never evaluated.
        let e = Expr::parse("true || 1 / 0 > 1;").unwrap();
        assert!(e.matches(&skills));
    }

    #[test]
    fn refusals_name_the_construct_and_its_column() {
        assert_eq!(err(r#"avg("a");"#), "unknown function \"avg\" at column 1");
        assert_eq!(err("A + B;"), "unknown name \"A\" at column 1");
        assert_eq!(err("1 == 1"), "missing final \";\" at column 7");
        assert_eq!(
            err("1 == 1; 2;"),
            "unexpected number 2 after the final \";\" at column 9"
        );
        assert_eq!(err("1 = 1;"), "\"=\" (comparison is \"==\") at column 3");
        assert_eq!(
            err("true & false;"),
            "\"&\" (logical and is \"&&\") at column 6"
        );
        assert_eq!(err("1 ^ 2;"), "unexpected character \"^\" at column 3");
        assert_eq!(
            err(r#""a" == "a";"#),
            "string \"a\" outside get(…) or has(…) at column 1"
        );
        assert_eq!(
            err("get(1);"),
            "get(…) takes one string (a skill name), not number 1 at column 5"
        );
        assert_eq!(
            err(r#"get("a", "b");"#),
            "get(…) takes one argument: expected \")\", found \",\" at column 8"
        );
        assert_eq!(
            err("true == 1;"),
            "\"==\" compares a boolean with a number at column 6"
        );
        assert_eq!(
            err("1 + true;"),
            "\"+\" needs a number on each side, not a boolean at column 3"
        );
        assert_eq!(
            err("1 && true;"),
            "\"&&\" needs a boolean on each side, not a number at column 3"
        );
        assert_eq!(
            err("!1;"),
            "\"!\" needs a boolean, not a number at column 1"
        );
        assert_eq!(err("(1 + 2;"), "expected \")\", found \";\" at column 7");
        assert_eq!(err("1 +;"), "unexpected \";\" at column 4");
        assert_eq!(err(";"), "unexpected \";\" at column 1");
        assert_eq!(err(""), "expression ends too early at column 1");
        assert_eq!(err("1 2;"), "unexpected number 2 at column 3");
        assert_eq!(err(r#"get("a;"#), "unterminated string at column 5");
        assert_eq!(err("1.2.3;"), "malformed number \"1.2.3\" at column 1");
        assert_eq!(err("1 >\n x;"), "unknown name \"x\" at line 2, column 2");
        // Columns count characters, not bytes.
        assert_eq!(
            err(r#"get("技能") > x;"#),
            "unknown name \"x\" at column 13"
        );
    }
}
