//! A tiny writer for Spine's JSON: every value is a string or an object, and members come
//! in no fixed order. Each object is written with its members rotated by a seed, so
//! clients meet varying orders as they do with real Spine, yet one request always gets
//! the same bytes (reproducible tests).

use std::fmt::Write;

/// A JSON value as Spine sends it.
#[derive(Debug, Clone)]
pub(super) enum Value {
    Str(String),
    Obj(Obj),
}

/// A JSON object whose member order is chosen when it is written.
#[derive(Debug, Clone, Default)]
pub(super) struct Obj(Vec<(String, Value)>);

impl Obj {
    pub(super) fn new() -> Self {
        Self::default()
    }

    /// Adds a string member.
    pub(super) fn s(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.0.push((key.into(), Value::Str(value.into())));
        self
    }

    /// Adds an object member.
    pub(super) fn o(mut self, key: impl Into<String>, value: Obj) -> Self {
        self.0.push((key.into(), Value::Obj(value)));
        self
    }

    pub(super) fn push_obj(&mut self, key: impl Into<String>, value: Obj) {
        self.0.push((key.into(), Value::Obj(value)));
    }

    pub(super) fn push_str(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.0.push((key.into(), Value::Str(value.into())));
    }

    /// Writes the object, rotating each object's members by an amount drawn from `seed`.
    pub(super) fn render(&self, seed: u64) -> String {
        let mut out = String::with_capacity(1024);
        self.write(&mut out, seed);
        out
    }

    fn write(&self, out: &mut String, seed: u64) {
        out.push('{');
        let len = self.0.len();
        let start = if len == 0 {
            0
        } else {
            (seed % len as u64) as usize
        };
        for n in 0..len {
            let (key, value) = &self.0[(start + n) % len];
            if n > 0 {
                out.push_str(", ");
            }
            write_string(out, key);
            out.push_str(": ");
            match value {
                Value::Str(s) => write_string(out, s),
                Value::Obj(o) => o.write(out, next_seed(seed, n)),
            }
        }
        out.push('}');
    }
}

fn next_seed(seed: u64, n: usize) -> u64 {
    seed.wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(n as u64 * 2 + 1)
        >> 7
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A stable seed for one request, from its path and query.
pub(super) fn seed_for(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_valid_json_with_every_member() {
        let obj = Obj::new()
            .s("a", "1")
            .s("quote\"d", "line\nbreak")
            .o("inner", Obj::new().s("x", "False").s("y", ""));
        for seed in 0..10 {
            let text = obj.render(seed);
            let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(parsed["quote\"d"], "line\nbreak");
            assert_eq!(parsed["inner"]["x"], "False");
        }
    }

    #[test]
    fn member_order_varies_with_the_seed() {
        let obj = Obj::new().s("a", "1").s("b", "2").s("c", "3");
        let orders: std::collections::BTreeSet<String> =
            (0..12).map(|seed| obj.render(seed)).collect();
        assert!(orders.len() > 1);
    }
}
