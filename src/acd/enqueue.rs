//! The `<enqueue>` XML (an IVR's, or the `enqueue` field of `call_agent` and
//! `invite_agent`) parsed into an [`Enqueue`].
//!
//! Accepted: one `<enqueue>` holding one `<route>` holding exactly one of
//! `<condition id="…"/>`, `<agent name="…"/>` or `<skill name="…"/>`; comments, an XML
//! declaration and whitespace anywhere. Kept: the enqueue's `user_data`, `reserve_state`
//! and `conversation_timeout`, and the agent or skill route's `priority` (0 to 99),
//! `queue_timeout` (0 to 1000 seconds; `0` times out at once when nobody is free, as the
//! platform documents) and `fetch_timeout` (1 to 60 seconds). The enqueue's other
//! documented attributes (`conversation_level`, `choice`, `fail_overflow`, `wait_voice`,
//! `ring_mode`, `ring_voice`, `hold_voice`, `play_num`, `pre_num_voice`,
//! `post_num_voice`) change nothing in the simulation: accepted and ignored.
//!
//! Refused, naming the thing and its line and column: XML that does not parse (including
//! a closing tag that does not match, as in the platform docs' own `<skill>` example), an
//! unknown element or attribute, a missing or empty required attribute, a number out of
//! range, text inside the elements, a second `<route>` (overflow routes are not simulated)
//! or a route with nothing or more than one thing in it.

use std::fmt;
use std::sync::Arc;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::operation::{Enqueue, Route};

/// Why an `<enqueue>` was refused: what, and where (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnqueueError {
    /// What was refused, and why.
    pub what: String,
    /// The 1-based line.
    pub line: usize,
    /// The 1-based column (in characters).
    pub column: usize,
}

impl fmt::Display for EnqueueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at line {}, column {}",
            self.what, self.line, self.column
        )
    }
}

impl std::error::Error for EnqueueError {}

/// The enqueue's documented attributes that change nothing in the simulation.
const IGNORED: [&str; 10] = [
    "conversation_level",
    "choice",
    "fail_overflow",
    "wait_voice",
    "ring_mode",
    "ring_voice",
    "hold_voice",
    "play_num",
    "pre_num_voice",
    "post_num_voice",
];

/// Where the parse is in the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Depth {
    /// Before `<enqueue>`.
    Outside,
    /// Inside `<enqueue>`.
    Enqueue,
    /// Inside `<route>`.
    Route,
    /// Inside the route's target (`<agent …></agent>`).
    Target,
    /// After `</enqueue>`.
    Done,
}

/// Parses one `<enqueue>` document.
pub fn parse(xml: &str) -> Result<Enqueue, EnqueueError> {
    let mut reader = Reader::from_str(xml);
    let at = |offset: u64| {
        let (line, column) = position(xml, usize::try_from(offset).unwrap_or(xml.len()));
        move |what: String| EnqueueError { what, line, column }
    };

    let mut depth = Depth::Outside;
    let mut head = Head::default();
    let mut routes = 0;
    let mut route: Option<(Route, Timeouts)> = None;
    loop {
        let start = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| at(reader.error_position())(format!("malformed XML: {e}")))?;
        let empty = matches!(event, Event::Empty(_));
        match event {
            Event::Start(tag) | Event::Empty(tag) => {
                let name = tag.name().as_ref().to_owned();
                let here = at(start);
                match (depth, name.as_str()) {
                    (Depth::Outside, "enqueue") => {
                        head = enqueue_attributes(&tag, start, xml)?;
                        depth = Depth::Enqueue;
                    }
                    (Depth::Enqueue, "route") => {
                        routes += 1;
                        if routes > 1 {
                            return Err(here(
                                "a second <route> (overflow routes are not simulated: use one)"
                                    .to_owned(),
                            ));
                        }
                        if let Some(attr) = attributes(&tag, start, xml)?.into_iter().next() {
                            return Err(at(attr.at)(format!(
                                "unknown attribute \"{}\" of <route>",
                                attr.key
                            )));
                        }
                        depth = Depth::Route;
                    }
                    (Depth::Route, "condition" | "agent" | "skill") => {
                        if route.is_some() {
                            return Err(here(format!(
                                "<{name}> in a <route> that already has its target (one \
                                 <condition>, <agent> or <skill> per route)"
                            )));
                        }
                        route = Some(target(&name, &tag, start, xml)?);
                        depth = Depth::Target;
                    }
                    (Depth::Outside, _) => {
                        return Err(here(format!("<{name}> where <enqueue> was expected")));
                    }
                    (Depth::Done, _) => {
                        return Err(here(format!(
                            "<{name}> after </enqueue> (one <enqueue> only)"
                        )));
                    }
                    _ => return Err(here(format!("unknown element <{name}> here"))),
                }
                if empty {
                    depth = close(depth);
                }
            }
            Event::End(tag) => {
                let name = tag.name().as_ref().to_owned();
                if depth == Depth::Route && route.is_none() {
                    return Err(at(start)(
                        "<route> without a <condition>, <agent> or <skill>".to_owned(),
                    ));
                }
                if depth == Depth::Enqueue && routes == 0 {
                    return Err(at(start)("<enqueue> without a <route>".to_owned()));
                }
                let _ = name;
                depth = close(depth);
            }
            Event::Text(text) => {
                if !text.chars().all(char::is_whitespace) {
                    let shown = text.trim().to_owned();
                    return Err(at(start)(format!(
                        "text \"{shown}\" (no element holds text)"
                    )));
                }
            }
            Event::CData(_) | Event::GeneralRef(_) => {
                return Err(at(start)("text (no element holds text)".to_owned()));
            }
            Event::DocType(_) => {
                return Err(at(start)("a <!DOCTYPE> (not accepted)".to_owned()));
            }
            Event::PI(_) => {
                return Err(at(start)(
                    "a processing instruction (not accepted)".to_owned(),
                ));
            }
            Event::Comment(_) | Event::Decl(_) => {}
            Event::Eof => {
                if depth != Depth::Done {
                    let what = if depth == Depth::Outside {
                        "no <enqueue> element"
                    } else {
                        "the document ends inside <enqueue>"
                    };
                    return Err(at(start)(what.to_owned()));
                }
                break;
            }
        }
        // `<route>` closed before its target was seen is caught above; a document whose
        // `<enqueue>` closed without a route too.
        if depth == Depth::Done && routes == 0 {
            return Err(at(start)("<enqueue> without a <route>".to_owned()));
        }
    }
    let Some((route, timeouts)) = route else {
        return Err(at(0)("<enqueue> without a <route>".to_owned()));
    };
    Ok(Enqueue {
        route,
        user_data: head.user_data,
        reserve_state: head.reserve_state,
        conversation_timeout: head.conversation_timeout,
        queue_timeout: timeouts.queue_timeout,
        fetch_timeout: timeouts.fetch_timeout,
        priority: timeouts.priority,
    })
}

fn close(depth: Depth) -> Depth {
    match depth {
        Depth::Target => Depth::Route,
        Depth::Route => Depth::Enqueue,
        Depth::Enqueue | Depth::Done => Depth::Done,
        Depth::Outside => Depth::Outside,
    }
}

#[derive(Debug, Default)]
struct Head {
    user_data: Option<Arc<str>>,
    reserve_state: Option<Arc<str>>,
    conversation_timeout: Option<u32>,
}

#[derive(Debug, Default)]
struct Timeouts {
    queue_timeout: Option<u32>,
    fetch_timeout: Option<u32>,
    priority: Option<u32>,
}

/// One attribute, unescaped, with its offset in the document.
#[derive(Debug)]
struct Attr {
    key: String,
    value: String,
    at: u64,
}

/// The attributes of the tag starting at `start` (its `<`).
fn attributes(tag: &BytesStart<'_>, start: u64, xml: &str) -> Result<Vec<Attr>, EnqueueError> {
    let mut out = Vec::new();
    let raw = tag.attributes_raw();
    // The attributes' text starts after `<` and the name.
    let base = start + 1 + tag.name().as_ref().len() as u64;
    for attr in tag.attributes() {
        let attr = attr.map_err(|e| {
            let rel = match e {
                quick_xml::events::attributes::AttrError::ExpectedEq(p)
                | quick_xml::events::attributes::AttrError::ExpectedValue(p)
                | quick_xml::events::attributes::AttrError::UnquotedValue(p)
                | quick_xml::events::attributes::AttrError::ExpectedQuote(p, _)
                | quick_xml::events::attributes::AttrError::Duplicated(p, _) => p,
            };
            let (line, column) = position(xml, usize::try_from(start).unwrap_or(0) + 1 + rel);
            EnqueueError {
                what: format!("malformed XML: {e}"),
                line,
                column,
            }
        })?;
        let key = attr.key.as_ref().to_owned();
        let offset = find_key(raw, &key).map_or(base, |o| base + o as u64);
        let value = attr
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| {
                let (line, column) = position(xml, usize::try_from(offset).unwrap_or(0));
                EnqueueError {
                    what: format!("malformed XML in attribute \"{key}\": {e}"),
                    line,
                    column,
                }
            })?;
        out.push(Attr {
            key,
            value: value.into_owned(),
            at: offset,
        });
    }
    Ok(out)
}

/// Where attribute `key` starts in `raw` (the tag's text after its name).
fn find_key(raw: &str, key: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = raw[from..].find(key) {
        let i = from + i;
        let before_ok = i == 0 || raw[..i].ends_with(|c: char| c.is_whitespace());
        let after = raw[i + key.len()..].trim_start();
        if before_ok && after.starts_with('=') {
            return Some(i);
        }
        from = i + key.len();
    }
    None
}

fn enqueue_attributes(tag: &BytesStart<'_>, start: u64, xml: &str) -> Result<Head, EnqueueError> {
    let mut head = Head::default();
    for attr in attributes(tag, start, xml)? {
        let err = |what: String| {
            let (line, column) = position(xml, usize::try_from(attr.at).unwrap_or(0));
            EnqueueError { what, line, column }
        };
        match attr.key.as_str() {
            "user_data" => head.user_data = Some(attr.value.as_str().into()),
            "reserve_state" => {
                if attr.value.trim().is_empty() {
                    return Err(err("empty \"reserve_state\" of <enqueue>".to_owned()));
                }
                head.reserve_state = Some(attr.value.as_str().into());
            }
            "conversation_timeout" => {
                head.conversation_timeout =
                    Some(number(&attr, "enqueue", 1, u32::MAX).map_err(err)?);
            }
            key if IGNORED.contains(&key) => {}
            key => return Err(err(format!("unknown attribute \"{key}\" of <enqueue>"))),
        }
    }
    Ok(head)
}

fn target(
    element: &str,
    tag: &BytesStart<'_>,
    start: u64,
    xml: &str,
) -> Result<(Route, Timeouts), EnqueueError> {
    let required = if element == "condition" { "id" } else { "name" };
    let mut name: Option<Arc<str>> = None;
    let mut timeouts = Timeouts::default();
    for attr in attributes(tag, start, xml)? {
        let err = |what: String| {
            let (line, column) = position(xml, usize::try_from(attr.at).unwrap_or(0));
            EnqueueError { what, line, column }
        };
        match attr.key.as_str() {
            key if key == required => {
                if attr.value.trim().is_empty() {
                    return Err(err(format!("empty \"{key}\" of <{element}>")));
                }
                name = Some(attr.value.as_str().into());
            }
            "priority" if element != "condition" => {
                timeouts.priority = Some(number(&attr, element, 0, 99).map_err(err)?);
            }
            "queue_timeout" if element != "condition" => {
                timeouts.queue_timeout = Some(number(&attr, element, 0, 1000).map_err(err)?);
            }
            "fetch_timeout" if element != "condition" => {
                timeouts.fetch_timeout = Some(number(&attr, element, 1, 60).map_err(err)?);
            }
            key => return Err(err(format!("unknown attribute \"{key}\" of <{element}>"))),
        }
    }
    let Some(name) = name else {
        let (line, column) = position(xml, usize::try_from(start).unwrap_or(0));
        return Err(EnqueueError {
            what: format!("<{element}> without its \"{required}\""),
            line,
            column,
        });
    };
    let route = match element {
        "condition" => Route::Condition(name),
        "agent" => Route::Agent(name),
        _ => Route::Skill(name),
    };
    Ok((route, timeouts))
}

fn number(attr: &Attr, element: &str, min: u32, max: u32) -> Result<u32, String> {
    attr.value
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| {
            let range = if max == u32::MAX {
                format!("a whole number from {min}")
            } else {
                format!("a whole number from {min} to {max}")
            };
            format!(
                "\"{}\" of <{element}> is \"{}\", not {range}",
                attr.key, attr.value
            )
        })
}

/// The 1-based line and column (in characters) of byte `offset` of `src`.
fn position(src: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(src.len());
    while !src.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &src[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = r#"<enqueue
        wait_voice="wait.wav"
        ring_mode="1"
        play_num="true"
        pre_num_voice="坐席.wav"
        post_num_voice="为您服务.wav"
        user_data="your data whatever here!"
>"#;

    fn err(xml: &str) -> String {
        parse(xml).unwrap_err().to_string()
    }

    #[test]
    fn the_docs_condition_example() {
        let xml = format!(
            "{HEAD}\n    <route>\n        <condition id=\"condition1\"/>\n    </route>\n</enqueue>"
        );
        let e = parse(&xml).unwrap();
        assert_eq!(
            e,
            Enqueue {
                route: Route::Condition("condition1".into()),
                user_data: Some("your data whatever here!".into()),
                reserve_state: None,
                conversation_timeout: None,
                queue_timeout: None,
                fetch_timeout: None,
                priority: None,
            }
        );
    }

    #[test]
    fn the_docs_agent_example() {
        let xml = format!(
            "{HEAD}\n    <route>\n        <agent name=\"2019\" priority=\"11\" queue_timeout=\"60\" fetch_timeout=\"50\"></agent>\n    </route>\n</enqueue>"
        );
        let e = parse(&xml).unwrap();
        assert_eq!(e.route, Route::Agent("2019".into()));
        assert_eq!(e.priority, Some(11));
        assert_eq!(e.queue_timeout, Some(60));
        assert_eq!(e.fetch_timeout, Some(50));
    }

    #[test]
    fn the_docs_skill_example_closes_with_agent_and_is_refused_naming_the_tag() {
        // The platform docs' own example: `<skill …></agent>`.
        let xml = format!(
            "{HEAD}\n    <route>\n        <skill name=\"售后\" priority=\"11\" queue_timeout=\"60\" fetch_timeout=\"50\"></agent>\n    </route>\n</enqueue>"
        );
        let e = err(&xml);
        assert!(e.starts_with("malformed XML: "), "{e}");
        assert!(e.contains("agent"), "{e}");
        assert!(e.ends_with("at line 10, column 78"), "{e}");
        // Closed properly, it parses.
        let fixed = xml.replace("></agent>", "/>");
        let e = parse(&fixed).unwrap();
        assert_eq!(e.route, Route::Skill("售后".into()));
        assert_eq!(e.priority, Some(11));
    }

    #[test]
    fn the_enqueue_attributes_that_matter_are_kept() {
        let e = parse(
            r#"<?xml version="1.0"?><!-- c --><enqueue conversation_timeout="600" reserve_state="away/lunch" user_data="a&amp;b" choice="lru" conversation_level="2" fail_overflow="false" ring_voice="" hold_voice=""><route><agent name="1001"/></route></enqueue>"#,
        )
        .unwrap();
        assert_eq!(e.conversation_timeout, Some(600));
        assert_eq!(e.reserve_state.as_deref(), Some("away/lunch"));
        assert_eq!(e.user_data.as_deref(), Some("a&b"));
        assert_eq!(e.route, Route::Agent("1001".into()));
    }

    #[test]
    fn refusals_name_the_thing_and_where() {
        assert_eq!(
            err(r#"<enqueue colour="red"><route><agent name="a"/></route></enqueue>"#),
            "unknown attribute \"colour\" of <enqueue> at line 1, column 10"
        );
        assert_eq!(
            err("<enqueue>\n  <route><queue id=\"x\"/></route></enqueue>"),
            "unknown element <queue> here at line 2, column 10"
        );
        assert_eq!(
            err(r#"<enqueue><route><condition id="c" priority="3"/></route></enqueue>"#),
            "unknown attribute \"priority\" of <condition> at line 1, column 35"
        );
        assert_eq!(
            err(r#"<enqueue><route><agent name="a" priority="100"/></route></enqueue>"#),
            "\"priority\" of <agent> is \"100\", not a whole number from 0 to 99 at line 1, column 33"
        );
        assert_eq!(
            err(r#"<enqueue><route><skill name="s" fetch_timeout="0"/></route></enqueue>"#),
            "\"fetch_timeout\" of <skill> is \"0\", not a whole number from 1 to 60 at line 1, column 33"
        );
        assert_eq!(
            err(r#"<enqueue><route><skill name="s" queue_timeout="1001"/></route></enqueue>"#),
            "\"queue_timeout\" of <skill> is \"1001\", not a whole number from 0 to 1000 at line 1, column 33"
        );
        assert_eq!(
            err(r#"<enqueue conversation_timeout="0"><route><skill name="s"/></route></enqueue>"#),
            "\"conversation_timeout\" of <enqueue> is \"0\", not a whole number from 1 at line 1, column 10"
        );
        assert_eq!(
            err(r#"<enqueue><route><agent priority="1"/></route></enqueue>"#),
            "<agent> without its \"name\" at line 1, column 17"
        );
        assert_eq!(
            err(r#"<enqueue><route><agent name=" "/></route></enqueue>"#),
            "empty \"name\" of <agent> at line 1, column 24"
        );
        assert_eq!(
            err(r#"<enqueue><route></route></enqueue>"#),
            "<route> without a <condition>, <agent> or <skill> at line 1, column 17"
        );
        assert_eq!(
            err(r#"<enqueue></enqueue>"#),
            "<enqueue> without a <route> at line 1, column 10"
        );
        assert_eq!(
            err(r#"<enqueue/>"#),
            "<enqueue> without a <route> at line 1, column 1"
        );
        assert_eq!(
            err(r#"<enqueue><route><agent name="a"/><skill name="s"/></route></enqueue>"#),
            "<skill> in a <route> that already has its target (one <condition>, <agent> or <skill> per route) at line 1, column 34"
        );
        assert_eq!(
            err(
                r#"<enqueue><route><agent name="a"/></route><route><agent name="b"/></route></enqueue>"#
            ),
            "a second <route> (overflow routes are not simulated: use one) at line 1, column 42"
        );
        assert_eq!(
            err(r#"<enqueue><route><agent name="a"/></route></enqueue><enqueue/>"#),
            "<enqueue> after </enqueue> (one <enqueue> only) at line 1, column 52"
        );
        assert_eq!(
            err(r#"<route><agent name="a"/></route>"#),
            "<route> where <enqueue> was expected at line 1, column 1"
        );
        assert_eq!(
            err(r#"<enqueue><route><agent name="a">x</agent></route></enqueue>"#),
            "text \"x\" (no element holds text) at line 1, column 33"
        );
        assert_eq!(err(""), "no <enqueue> element at line 1, column 1");
        assert_eq!(
            err(r#"<enqueue><route><agent name="a"/></route>"#),
            "the document ends inside <enqueue> at line 1, column 42"
        );
        let e = err("<enqueue>\n<route><agent name=\"a\" name=\"b\"/></route></enqueue>");
        assert!(e.starts_with("malformed XML: "), "{e}");
        assert!(e.ends_with("at line 2, column 24"), "{e}");
        let e = err("<enqueue><route><agent name=a/></route></enqueue>");
        assert!(e.starts_with("malformed XML: "), "{e}");
        let e = err("<enqueue><route></enqueue>");
        assert!(e.starts_with("malformed XML: "), "{e}");
        assert!(e.ends_with("at line 1, column 17"), "{e}");
    }
}
