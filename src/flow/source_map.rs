//! Where each value of a YAML file is, by path (`steps[2].validate.pattern`), so checks
//! that run after parsing can still name the line.

use std::collections::HashMap;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

use crate::diagnostics::Position;

#[derive(Debug, Default)]
pub struct SourceMap {
    positions: HashMap<String, Position>,
    /// Every scalar value: its path, its text and where it is written.
    scalars: Vec<(String, String, Position)>,
    /// Keys written a second time in one block: path → where the repeat is.
    repeated: HashMap<String, Position>,
}

/// Whether `path` is `prefix` or inside it (`steps[1]` holds `steps[1].id`, not `steps[10]`).
fn is_under(path: &str, prefix: &str) -> bool {
    prefix.is_empty()
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
}

impl SourceMap {
    /// Builds the map; a file that does not parse gives an empty map (the YAML error
    /// itself is reported by the deserializer, with its position).
    pub fn build(source: &str) -> SourceMap {
        let mut builder = Builder::default();
        let _ = Parser::new_from_str(source).load(&mut builder, false);
        SourceMap {
            positions: builder.positions,
            scalars: builder.scalars,
            repeated: builder.repeated,
        }
    }

    /// The scalar values written `value` inside the value at `prefix`, with their paths:
    /// serde names the enclosing value of a wrong one inside a `type:` block.
    pub fn find_value_under(&self, prefix: &str, value: &str) -> Vec<(&str, Position)> {
        self.scalars
            .iter()
            .filter(|(path, text, _)| text == value && is_under(path, prefix))
            .map(|(path, _, position)| (path.as_str(), *position))
            .collect()
    }

    /// Every scalar value inside the value at `prefix`: its path, its text and its place.
    pub fn scalars_under<'a>(
        &'a self,
        prefix: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a str, Position)> + 'a {
        self.scalars
            .iter()
            .filter(move |(path, ..)| is_under(path, prefix))
            .map(|(path, text, position)| (path.as_str(), text.as_str(), *position))
    }

    /// Every key written twice in one block: its path, the repeat's position and the
    /// first one's, in file order.
    pub fn repeated_keys(&self) -> Vec<(&str, Position, Position)> {
        let mut keys: Vec<_> = self
            .repeated
            .iter()
            .map(|(path, repeat)| (path.as_str(), *repeat, self.positions[path]))
            .collect();
        keys.sort_by_key(|(_, repeat, _)| (repeat.line, repeat.column));
        keys
    }

    /// The first key `key` written twice inside the value at `prefix`.
    pub fn repeated_key_under(
        &self,
        prefix: &str,
        key: &str,
    ) -> Option<(&str, Position, Position)> {
        self.repeated_keys().into_iter().find(|(path, ..)| {
            is_under(path, prefix) && (*path == key || path.ends_with(&format!(".{key}")))
        })
    }

    /// The first place where `key` is written inside the value at `prefix` (at any
    /// depth): serde names the enclosing value of an unknown key, not the key itself.
    pub fn find_key_under(&self, prefix: &str, key: &str) -> Option<Position> {
        let suffix = format!(".{key}");
        self.positions
            .iter()
            .filter(|(path, _)| path.starts_with(prefix) && path.ends_with(&suffix))
            .map(|(_, position)| *position)
            .min_by_key(|p| (p.line, p.column))
    }

    /// The position of `path`, or of its nearest recorded parent.
    pub fn find(&self, path: &str) -> Option<Position> {
        let mut path = path;
        loop {
            if let Some(p) = self.positions.get(path) {
                return Some(*p);
            }
            let cut = path.rfind(['.', '['])?;
            path = &path[..cut];
        }
    }
}

enum Frame {
    Mapping { key: Option<String> },
    Sequence { index: usize },
}

#[derive(Default)]
struct Builder {
    stack: Vec<(String, Frame)>,
    positions: HashMap<String, Position>,
    scalars: Vec<(String, String, Position)>,
    repeated: HashMap<String, Position>,
}

impl Builder {
    /// Path of the value about to be read in the current container.
    fn child_path(&self) -> Option<String> {
        let (base, frame) = self.stack.last()?;
        Some(match frame {
            Frame::Mapping { key: Some(k) } if base.is_empty() => k.clone(),
            Frame::Mapping { key: Some(k) } => format!("{base}.{k}"),
            Frame::Mapping { key: None } => return None,
            Frame::Sequence { index } => format!("{base}[{index}]"),
        })
    }

    fn value_done(&mut self) {
        match self.stack.last_mut() {
            Some((_, Frame::Mapping { key })) => *key = None,
            Some((_, Frame::Sequence { index })) => *index += 1,
            None => {}
        }
    }

    fn record(&mut self, path: String, mark: Marker) {
        self.positions
            .entry(path)
            .or_insert(Position::at(mark.line(), mark.col() + 1));
    }

    fn open(&mut self, frame: Frame, mark: Marker) {
        let path = if self.stack.is_empty() {
            String::new()
        } else {
            self.child_path().unwrap_or_default()
        };
        if !path.is_empty() {
            self.record(path.clone(), mark);
        }
        self.stack.push((path, frame));
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        match event {
            Event::Scalar(value, ..) => {
                let expecting_key =
                    matches!(self.stack.last(), Some((_, Frame::Mapping { key: None })));
                if expecting_key {
                    if let Some((base, _)) = self.stack.last() {
                        let path = if base.is_empty() {
                            value.clone()
                        } else {
                            format!("{base}.{value}")
                        };
                        if self.positions.contains_key(&path) {
                            let at = Position::at(mark.line(), mark.col() + 1);
                            self.repeated.entry(path.clone()).or_insert(at);
                        }
                        self.record(path, mark);
                    }
                    if let Some((_, Frame::Mapping { key })) = self.stack.last_mut() {
                        *key = Some(value);
                    }
                } else {
                    if let Some(path) = self.child_path() {
                        let at = Position::at(mark.line(), mark.col() + 1);
                        self.scalars.push((path.clone(), value, at));
                        self.record(path, mark);
                    }
                    self.value_done();
                }
            }
            Event::MappingStart(..) => self.open(Frame::Mapping { key: None }, mark),
            Event::SequenceStart(..) => self.open(Frame::Sequence { index: 0 }, mark),
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
                self.value_done();
            }
            Event::Alias(_) => self.value_done(),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_point_at_their_lines() {
        let src =
            "id: x\nsteps:\n  - id: a\n    validate: { type: regex, pattern: '[' }\n  - id: b\n";
        let map = SourceMap::build(src);
        assert_eq!(map.find("id").unwrap().line, 1);
        assert_eq!(map.find("steps[0].id").unwrap().line, 3);
        assert_eq!(map.find("steps[0].validate.pattern").unwrap().line, 4);
        assert_eq!(map.find("steps[1].id").unwrap().line, 5);
        assert_eq!(map.find("steps[1].prompt").unwrap().line, 5);
    }

    #[test]
    fn values_and_repeated_keys_are_found_inside_a_block() {
        let src = "id: x\nsteps:\n  - id: a\n    extract:\n      type: last_digits\n      count: trois\n      count: 2\n";
        let map = SourceMap::build(src);
        let found = map.find_value_under("steps[0]", "trois");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, "steps[0].extract.count");
        assert_eq!(found[0].1.line, 6);
        assert!(map.find_value_under("steps[1]", "trois").is_empty());
        let (path, repeat, first) = map.repeated_key_under("steps[0]", "count").unwrap();
        assert_eq!(
            (path, repeat.line, first.line),
            ("steps[0].extract.count", 7, 6)
        );
        assert_eq!(map.repeated_key_under("", "id"), None);
    }
}
