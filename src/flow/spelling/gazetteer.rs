//! The places of flows/places.yaml: every other spelling, abbreviation or former name
//! of a place leads to one canonical form.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::parse::{yaml_error, SpellingRules};
use super::rules::RuleSet;
use crate::diagnostics::{Diagnostic, Position};
use crate::flow::source_map::SourceMap;
use crate::normalize::normalize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlacesFile {
    rule_set: String,
    places: Vec<PlaceDef>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlaceDef {
    name: String,
    #[serde(default)]
    aliases: Vec<String>,
}

/// One way of writing a place (its name first, then its aliases).
#[derive(Debug, Clone)]
pub struct PlaceSpelling {
    pub written: String,
    pub normalized: String,
    /// `normalized` after the gazetteer's rule set.
    pub spelled: String,
    pub position: Option<Position>,
}

#[derive(Debug, Clone)]
pub struct Place {
    /// The name as written in the file (`Haut-Uele`).
    pub name: String,
    /// What every spelling of the place becomes: its name as written in the file,
    /// normalized (`HAUTUELE`, `LUALABA`), never respelled by the rules, so the code's
    /// fragment reads like the name staff know (LUAL, not LWAL).
    pub canonical: String,
    pub spellings: Vec<PlaceSpelling>,
}

#[derive(Debug, Clone)]
pub struct Gazetteer {
    pub path: PathBuf,
    pub rules: RuleSet,
    pub places: Vec<Place>,
    /// Normalized spelling → place; the first place that lists it wins.
    exact: HashMap<String, usize>,
    /// Spelling after the rules → place.
    spelled: HashMap<String, usize>,
}

impl Gazetteer {
    pub fn parse(
        path: &Path,
        text: &str,
        rules: &SpellingRules,
    ) -> Result<Gazetteer, Vec<Diagnostic>> {
        let map = SourceMap::build(text);
        let file: PlacesFile =
            serde_yaml::from_str(text).map_err(|e| vec![yaml_error(path, &e)])?;
        let Some(rule_set) = rules.get(&file.rule_set) else {
            let message = format!(
                "le jeu de règles « {} » n'existe pas dans {} (jeux définis : {}).",
                file.rule_set,
                rules.path.display(),
                rules.names().join(", ")
            );
            return Err(vec![Diagnostic::error(path, map.find("rule_set"), message)]);
        };
        let mut errors = Vec::new();
        let mut places = Vec::with_capacity(file.places.len());
        for (index, def) in file.places.iter().enumerate() {
            let mut spellings = Vec::with_capacity(def.aliases.len() + 1);
            let written = std::iter::once((format!("places[{index}].name"), &def.name)).chain(
                def.aliases
                    .iter()
                    .enumerate()
                    .map(|(i, alias)| (format!("places[{index}].aliases[{i}]"), alias)),
            );
            for (at, text) in written {
                let normalized = normalize(text);
                if normalized.is_empty() {
                    let message = format!("« {text} » ne contient aucune lettre ni chiffre.");
                    errors.push(Diagnostic::error(path, map.find(&at), message));
                    continue;
                }
                spellings.push(PlaceSpelling {
                    written: text.clone(),
                    spelled: rule_set.apply(&normalized),
                    normalized,
                    position: map.find(&at),
                });
            }
            if let Some(first) = spellings.first().filter(|s| s.written == def.name) {
                places.push(Place {
                    name: def.name.clone(),
                    canonical: first.normalized.clone(),
                    spellings,
                });
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Gazetteer::index(path, rule_set.clone(), places))
    }

    fn index(path: &Path, rules: RuleSet, places: Vec<Place>) -> Gazetteer {
        let mut exact = HashMap::new();
        let mut spelled = HashMap::new();
        for (index, place) in places.iter().enumerate() {
            exact.entry(place.canonical.clone()).or_insert(index);
            for spelling in &place.spellings {
                exact.entry(spelling.normalized.clone()).or_insert(index);
                spelled.entry(spelling.spelled.clone()).or_insert(index);
            }
        }
        Gazetteer {
            path: path.to_path_buf(),
            rules,
            places,
            exact,
            spelled,
        }
    }

    /// The canonical form of the place `normalized` names: an exact match of a
    /// spelling first, then a match after the rules (`KINSHASSA` → `KINSHASA`).
    pub fn lookup(&self, normalized: &str) -> Option<&str> {
        self.lookup_exact(normalized)
            .or_else(|| self.lookup_spelled(&self.rules.apply(normalized)))
    }

    pub fn lookup_exact(&self, normalized: &str) -> Option<&str> {
        Some(&self.find_exact(normalized)?.canonical)
    }

    /// The place a normalized spelling names as written.
    pub fn find_exact(&self, normalized: &str) -> Option<&Place> {
        Some(&self.places[*self.exact.get(normalized)?])
    }

    /// Lookup of a word already passed through [`Gazetteer::rules`].
    pub fn lookup_spelled(&self, spelled: &str) -> Option<&str> {
        Some(&self.find_spelled(spelled)?.canonical)
    }

    /// The place a spelling already passed through [`Gazetteer::rules`] names.
    pub fn find_spelled(&self, spelled: &str) -> Option<&Place> {
        Some(&self.places[*self.spelled.get(spelled)?])
    }

    /// The place whose canonical form is `canonical`.
    pub fn place(&self, canonical: &str) -> Option<&Place> {
        let index = *self.exact.get(canonical)?;
        Some(&self.places[index]).filter(|p| p.canonical == canonical)
    }

    /// Stable text of the gazetteer, for the derivation fingerprint: only what decides
    /// a code (spellings and their canonical form), sorted.
    pub fn derivation_text(&self) -> String {
        let mut lines: Vec<String> = self
            .places
            .iter()
            .map(|place| {
                let mut spellings: Vec<&str> = place
                    .spellings
                    .iter()
                    .map(|s| s.normalized.as_str())
                    .collect();
                spellings.sort_unstable();
                spellings.dedup();
                format!("  {} <- {}", place.canonical, spellings.join(" "))
            })
            .collect();
        lines.sort_unstable();
        let mut text = format!("gazetteer rule_set={}\n", self.rules.name);
        for line in lines {
            let _ = writeln!(text, "{line}");
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: &str =
        "rule_sets:\n  places:\n    - { from: OU, to: U }\n    - { collapse_doubles: S }\n";

    fn gazetteer(text: &str) -> Result<Gazetteer, Vec<Diagnostic>> {
        let rules = SpellingRules::parse(Path::new("spelling.yaml"), RULES).unwrap();
        Gazetteer::parse(Path::new("places.yaml"), text, &rules)
    }

    #[test]
    fn aliases_former_names_and_spelling_variants_find_the_place() {
        let g = gazetteer(
            "rule_set: places\nplaces:\n  - name: Kinshasa\n    aliases: [Kin, Léopoldville]\n  \
             - name: Kindu\n  - name: Kwamouth\n",
        )
        .unwrap();
        assert_eq!(g.lookup("KIN"), Some("KINSHASA"));
        assert_eq!(g.lookup("LEOPOLDVILLE"), Some("KINSHASA"));
        assert_eq!(g.lookup("KINSHASSA"), Some("KINSHASA"));
        assert_eq!(g.lookup("KINDOU"), Some("KINDU"));
        assert_eq!(
            g.lookup("KWAMOUTH"),
            Some("KWAMOUTH"),
            "canonical = the name as written, normalized"
        );
        assert_eq!(g.lookup("KWAMUTH"), Some("KWAMOUTH"));
        assert_eq!(g.lookup("GOMA"), None);
        assert_eq!(g.place("KWAMOUTH").unwrap().name, "Kwamouth");
    }

    #[test]
    fn an_unknown_rule_set_and_an_empty_alias_are_errors_with_lines() {
        let errors = gazetteer("rule_set: lieux\nplaces: []\n").unwrap_err();
        assert!(
            errors[0].to_string().starts_with("places.yaml:1:"),
            "{errors:?}"
        );
        assert!(errors[0].message.contains("« lieux » n'existe pas"));
        let errors =
            gazetteer("rule_set: places\nplaces:\n  - name: Goma\n    aliases: [\"--\"]\n")
                .unwrap_err();
        assert_eq!(errors[0].line, Some(4), "{errors:?}");
    }

    #[test]
    fn the_derivation_text_changes_with_an_alias() {
        let base = "rule_set: places\nplaces:\n  - name: Kinshasa\n";
        let with_alias = format!("{base}    aliases: [Kin]\n");
        let a = gazetteer(base).unwrap().derivation_text();
        let b = gazetteer(&with_alias).unwrap().derivation_text();
        assert_ne!(a, b);
        assert!(b.contains("KINSHASA <- KIN KINSHASA"), "{b}");
    }
}
