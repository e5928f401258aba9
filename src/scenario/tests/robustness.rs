//! Inputs that must never panic: mutations of every example and random bytes give either a
//! plan the engine runs without a script error or problems that each have a position.

use super::*;

/// Checks the loader's contract on one input: a scenario (which the engine then runs for
/// a while without a script error), or problems that each have a position in this file and
/// a message.
fn assert_plan_or_positioned_problems(name: &str, text: &str) {
    match load(name, text) {
        Ok(s) => {
            let mut engine = crate::sim::engine::Engine::new(s.sim);
            for _ in 0..500 {
                if engine.next_happening().is_none() {
                    break;
                }
            }
            assert!(
                engine.script_errors().is_empty(),
                "{name}: {:?}",
                engine.script_errors()
            );
        }
        Err(problems) => {
            assert!(!problems.is_empty(), "{name}: an error without problems");
            for p in &problems {
                assert_eq!(p.file, name);
                assert!(p.line >= 1 && p.column >= 1, "{p}");
                assert!(
                    p.line <= text.lines().count().max(1) + 1,
                    "{p} is past the end"
                );
                assert!(!p.message.trim().is_empty(), "{p}");
            }
        }
    }
}

fn mutate(text: &str, rng: &mut impl rand::Rng) -> String {
    const PIECES: &[&str] = &[
        "{",
        "}",
        "[",
        "]",
        "=",
        ",",
        ":",
        "\"",
        "#",
        "\n",
        "\\",
        "-",
        "0",
        "9",
        ".",
        "e",
        "s",
        "m",
        "/h",
        "%",
        "never",
        "null",
        "true",
        "99999999999999999999",
        "1e999",
        "名",
        "\u{0}",
        "[[conversations]]",
        "{ do = \"answer\", agent = \"1001\" },",
        "\"agent\": \"x\",",
    ];
    let mut chars: Vec<char> = text.chars().collect();
    let rounds = rng.random_range(1..4);
    for _ in 0..rounds {
        let len = chars.len();
        let at = rng.random_range(0..=len);
        match rng.random_range(0..5) {
            0 if len > 0 => {
                let end = (at + rng.random_range(1..8)).min(len);
                chars.drain(at.min(end)..end);
            }
            1 => {
                let piece = PIECES[rng.random_range(0..PIECES.len())];
                chars.splice(at..at, piece.chars());
            }
            2 => {
                // Duplicate a line.
                let s: String = chars.iter().collect();
                let lines: Vec<&str> = s.lines().collect();
                if !lines.is_empty() {
                    let i = rng.random_range(0..lines.len());
                    let mut out = lines.clone();
                    out.insert(i, lines[i]);
                    chars = out.join("\n").chars().collect();
                }
            }
            3 => {
                // Swap two lines.
                let s: String = chars.iter().collect();
                let mut lines: Vec<&str> = s.lines().collect();
                if lines.len() > 1 {
                    let (i, j) = (
                        rng.random_range(0..lines.len()),
                        rng.random_range(0..lines.len()),
                    );
                    lines.swap(i, j);
                    chars = lines.join("\n").chars().collect();
                }
            }
            _ if len > 0 => {
                let i = rng.random_range(0..len);
                chars[i] = char::from(rng.random_range(0x20u8..0x7f));
            }
            _ => {}
        }
    }
    chars.into_iter().collect()
}

#[test]
fn random_mutations_of_the_examples_give_a_plan_or_positioned_problems() {
    use rand::SeedableRng;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20_261_123);
    let examples = examples();
    assert!(examples.len() >= 10);
    for (name, text) in &examples {
        assert_plan_or_positioned_problems(name, text);
        for _ in 0..150 {
            let mutated = mutate(text, &mut rng);
            assert_plan_or_positioned_problems(name, &mutated);
        }
    }
}

#[test]
fn random_bytes_give_positioned_problems_and_never_panic() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    for i in 0..1500 {
        let len = rng.random_range(0..200);
        let bytes: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let name = if i % 2 == 0 { "r.toml" } else { "r.json" };
        assert_plan_or_positioned_problems(name, &text);
    }
}

#[test]
fn deeply_nested_input_is_a_problem_not_a_stack_overflow() {
    let depth = 100_000;
    let toml = format!("a = {}{}\n", "[".repeat(depth), "]".repeat(depth));
    let json = format!("{{\"a\": {}{}}}", "[".repeat(depth), "]".repeat(depth));
    for (name, text) in [("deep.toml", toml), ("deep.json", json)] {
        let got = problems(name, &text);
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].starts_with(&format!("{name}:1:")), "{got:?}");
    }
}
