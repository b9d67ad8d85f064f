//! Canonical spelling of answers: ordinary spelling variants of a name or a place
//! (Kabilla/Kabila, Tchisekedi/Tshisekedi, Léopoldville/Kinshasa) give one form, so a
//! returning client gets the same code. Data: flows/spelling.yaml (rules),
//! flows/places.yaml (gazetteer), flows/keep-apart.yaml (pairs no rule may merge).
//! Pure: the only IO is [`Spelling::load`].

pub mod checks;
pub mod gazetteer;
pub mod keep_apart;
pub mod parse;
pub mod rules;

use std::path::Path;
use std::sync::Arc;

use crate::diagnostics::Diagnostic;

pub use checks::{check_gazetteer, check_keep_apart, check_rules};
pub use gazetteer::{Gazetteer, Place, PlaceSpelling};
pub use keep_apart::{KeepApart, KeepApartPair};
pub use parse::SpellingRules;
pub use rules::{RuleSet, Trace};

pub const RULES_FILE: &str = "spelling.yaml";
pub const PLACES_FILE: &str = "places.yaml";
pub const KEEP_APART_FILE: &str = "keep-apart.yaml";

/// What the spelling of one step did to an answer.
#[derive(Debug)]
pub struct Explanation<'a> {
    /// The rules that changed the answer, in the order they fired.
    pub fired: Vec<&'a rules::Rule>,
    /// The place of the gazetteer the answer names, if any.
    pub place: Option<&'a Place>,
    pub canonical: String,
}

/// The canonicalizer of one step: a rule set, and for places the gazetteer.
#[derive(Debug, Clone)]
pub struct Canonicalizer {
    rules: RuleSet,
    gazetteer: Option<Arc<Gazetteer>>,
}

impl Canonicalizer {
    pub fn new(rules: RuleSet, gazetteer: Option<Arc<Gazetteer>>) -> Canonicalizer {
        Canonicalizer { rules, gazetteer }
    }

    /// The canonical form of a normalized answer: the gazetteer's place when it knows
    /// the spelling, otherwise the rules' spelling.
    pub fn canonical(&self, normalized: &str) -> String {
        self.explain(normalized).canonical
    }

    /// How a normalized answer reaches its canonical form (what `ciu spell` shows):
    /// a spelling the gazetteer lists as written, or else the rules, then the
    /// gazetteer again on the rules' spelling.
    pub fn explain(&self, normalized: &str) -> Explanation<'_> {
        let gazetteer = self.gazetteer.as_deref();
        if let Some(place) = gazetteer.and_then(|g| g.find_exact(normalized)) {
            return Explanation {
                fired: Vec::new(),
                place: Some(place),
                canonical: place.canonical.clone(),
            };
        }
        let trace = self.rules.trace(normalized);
        let fired = trace.fired.iter().map(|&i| &self.rules.rules[i]).collect();
        // The gazetteer's own rule set is this one (see Spelling::canonicalizer).
        let place = gazetteer.and_then(|g| g.find_spelled(&trace.result));
        Explanation {
            fired,
            place,
            canonical: place.map_or(trace.result, |p| p.canonical.clone()),
        }
    }

    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    pub fn gazetteer(&self) -> Option<&Gazetteer> {
        self.gazetteer.as_deref()
    }

    /// Stable text of everything that decides the canonical forms of this step.
    pub fn derivation_text(&self) -> String {
        let mut text = self.rules.derivation_text();
        if let Some(gazetteer) = &self.gazetteer {
            text.push_str(&gazetteer.derivation_text());
        }
        text
    }
}

/// Whether a step's answers take a canonical spelling, and which, in plain French for
/// programme staff (the console's page of the flow). The examples are computed with
/// the step's own rules, so they stay true when the files change.
pub fn describe(canonicalizer: Option<&Canonicalizer>) -> String {
    let Some(canonicalizer) = canonicalizer else {
        return "Non : seules les majuscules, les accents, les espaces et la ponctuation sont ignorés"
            .to_owned();
    };
    let name = canonicalizer.rules.name.as_str();
    // Spellings the guide gives as one person's (docs/fr/orthographe.md).
    let (what, groups): (String, &[&[&str]]) = match name {
        "family_names" => (
            "des noms de famille".into(),
            &[&["Kabilla", "Kabila"], &["Tchisekedi", "Tshisekedi"]],
        ),
        "first_names" => ("des prénoms".into(), &[&["Matthieu", "Mathieu"]]),
        "places" => ("des lieux".into(), &[&["Léopoldville", "Kin", "Kinshasa"]]),
        other => (format!("« {other} »"), &[]),
    };
    let mut text = format!(
        "Oui, orthographe {what} : les variantes d'écriture prennent une seule forme avant le calcul du code (jeu de règles « {name} » de {RULES_FILE}"
    );
    if let Some(gazetteer) = canonicalizer.gazetteer() {
        let file = gazetteer
            .path
            .file_name()
            .map_or_else(|| PLACES_FILE.into(), |f| f.to_string_lossy());
        let count = gazetteer.places.len();
        let places = if count > 1 { "lieux" } else { "lieu" };
        text.push_str(&format!(
            ", et répertoire des lieux {file} : {count} {places}"
        ));
    }
    text.push(')');
    // An example is shown only while the rules still give its spellings one form.
    let examples: Vec<String> = groups
        .iter()
        .filter_map(|spellings| {
            let canonical: Vec<String> = spellings
                .iter()
                .map(|s| canonicalizer.canonical(&crate::normalize::normalize(s)))
                .collect();
            let one = canonical.windows(2).all(|pair| pair[0] == pair[1]);
            (one && !canonical.is_empty())
                .then(|| format!("{} → {}", spellings.join(", "), canonical[0]))
        })
        .collect();
    if !examples.is_empty() {
        text.push_str(&format!(". Exemple : {}", examples.join(" ; ")));
    }
    text
}

/// The three spelling files, parsed.
#[derive(Debug, Clone)]
pub struct Spelling {
    pub rules: SpellingRules,
    pub gazetteer: Arc<Gazetteer>,
    pub keep_apart: KeepApart,
}

impl Spelling {
    /// Reads `spelling.yaml`, `places.yaml` and `keep-apart.yaml` from `flows_dir`.
    pub fn load(flows_dir: &Path) -> Result<Spelling, Vec<Diagnostic>> {
        let read = |name: &str| {
            let path = flows_dir.join(name);
            std::fs::read_to_string(&path)
                .map(|text| (path.clone(), text))
                .map_err(|e| {
                    vec![Diagnostic::error(
                        &path,
                        None,
                        format!("impossible de lire ce fichier ({e})."),
                    )]
                })
        };
        let (rules_path, rules_text) = read(RULES_FILE)?;
        let (places_path, places_text) = read(PLACES_FILE)?;
        let (keep_path, keep_text) = read(KEEP_APART_FILE)?;
        Spelling::parse(
            (&rules_path, &rules_text),
            (&places_path, &places_text),
            (&keep_path, &keep_text),
        )
    }

    /// Parses the three files, each given as (path, text); every error of every file.
    pub fn parse(
        rules: (&Path, &str),
        places: (&Path, &str),
        keep_apart: (&Path, &str),
    ) -> Result<Spelling, Vec<Diagnostic>> {
        let rules = SpellingRules::parse(rules.0, rules.1);
        let keep_apart = KeepApart::parse(keep_apart.0, keep_apart.1);
        let gazetteer = match &rules {
            Ok(parsed) => Gazetteer::parse(places.0, places.1, parsed).map(Arc::new),
            Err(_) => Err(Vec::new()),
        };
        match (rules, gazetteer, keep_apart) {
            (Ok(rules), Ok(gazetteer), Ok(keep_apart)) => Ok(Spelling {
                rules,
                gazetteer,
                keep_apart,
            }),
            (rules, gazetteer, keep_apart) => Err([
                rules.err().unwrap_or_default(),
                gazetteer.err().unwrap_or_default(),
                keep_apart.err().unwrap_or_default(),
            ]
            .concat()),
        }
    }

    /// The canonicalizer of rule set `name`; the set the gazetteer names
    /// (`rule_set: places`) comes with the gazetteer.
    pub fn canonicalizer(&self, name: &str) -> Option<Canonicalizer> {
        let rules = self.rules.get(name)?.clone();
        let gazetteer = (self.gazetteer.rules.name == name).then(|| self.gazetteer.clone());
        Some(Canonicalizer::new(rules, gazetteer))
    }

    /// Every check of the three files, sorted by file and line.
    pub fn check(&self) -> Vec<Diagnostic> {
        let mut diagnostics = check_rules(&self.rules);
        diagnostics.extend(check_gazetteer(&self.gazetteer));
        diagnostics.extend(check_keep_apart(
            &self.rules,
            Some(&self.gazetteer),
            &self.keep_apart,
        ));
        diagnostics.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
        // A rule of a set included by `use` is reported once per including set.
        diagnostics.dedup_by(|a, b| a.line == b.line && a.file == b.file && a.message == b.message);
        diagnostics
    }

    /// Stable text of all rule sets and the gazetteer, for the derivation fingerprint.
    pub fn derivation_text(&self) -> String {
        let mut text = String::from("spelling v1\n");
        for set in self.rules.sets() {
            text.push_str(&set.derivation_text());
        }
        text.push_str(&self.gazetteer.derivation_text());
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: &str = "rule_sets:\n  names:\n    - { from: TCH, to: TSH }\n    \
                         - { collapse_doubles: L }\n  places:\n    - { use: names }\n";
    const PLACES: &str =
        "rule_set: places\nplaces:\n  - name: Kinshasa\n    aliases: [Kin, Léopoldville]\n";

    fn spelling(keep_apart: &str) -> Result<Spelling, Vec<Diagnostic>> {
        Spelling::parse(
            (Path::new("spelling.yaml"), RULES),
            (Path::new("places.yaml"), PLACES),
            (Path::new("keep.yaml"), keep_apart),
        )
    }

    #[test]
    fn described_in_plain_french() {
        let spelling = spelling("names:\n  - [Kabila, Kabala]\n").unwrap();
        assert_eq!(
            describe(None),
            "Non : seules les majuscules, les accents, les espaces et la ponctuation sont ignorés"
        );
        assert_eq!(
            describe(spelling.canonicalizer("places").as_ref()),
            "Oui, orthographe des lieux : les variantes d'écriture prennent une seule forme \
             avant le calcul du code (jeu de règles « places » de spelling.yaml, et répertoire \
             des lieux places.yaml : 1 lieu). Exemple : Léopoldville, Kin, Kinshasa → KINSHASA"
        );
        assert_eq!(
            describe(spelling.canonicalizer("names").as_ref()),
            "Oui, orthographe « names » : les variantes d'écriture prennent une seule forme \
             avant le calcul du code (jeu de règles « names » de spelling.yaml)"
        );
    }

    #[test]
    fn only_the_gazetteers_rule_set_comes_with_the_gazetteer() {
        let spelling = spelling("names:\n  - [Kabila, Kabala]\n").unwrap();
        let places = spelling.canonicalizer("places").unwrap();
        let names = spelling.canonicalizer("names").unwrap();
        assert_eq!(places.canonical("LEOPOLDVILLE"), "KINSHASA");
        assert_eq!(
            places.canonical("TCHIKAPA"),
            "TSHIKAPA",
            "not listed: rules only"
        );
        assert_eq!(names.canonical("KIN"), "KIN");
        assert_eq!(names.canonical("KABILLA"), "KABILA");
        assert!(spelling.canonicalizer("lieux").is_none());
        assert!(spelling.check().is_empty(), "{:?}", spelling.check());
    }

    #[test]
    fn the_derivation_text_follows_rules_and_places() {
        let spelling = spelling("{}").unwrap();
        let text = spelling.derivation_text();
        assert!(
            text.contains("rule_set names\n  replace TCH>TSH\n  collapse L\n"),
            "{text}"
        );
        assert!(
            text.contains("KINSHASA <- KIN KINSHASA LEOPOLDVILLE"),
            "{text}"
        );
        let places = spelling.canonicalizer("places").unwrap().derivation_text();
        assert!(places.contains("gazetteer rule_set=places"), "{places}");
        assert!(!spelling
            .canonicalizer("names")
            .unwrap()
            .derivation_text()
            .contains("gazetteer"));
    }

    #[test]
    fn errors_of_several_files_are_all_reported() {
        let errors = Spelling::parse(
            (
                Path::new("spelling.yaml"),
                "rule_sets:\n  a:\n    - { from: é, to: E }\n",
            ),
            (Path::new("places.yaml"), PLACES),
            (Path::new("keep.yaml"), "a:\n  - [X]\n"),
        )
        .unwrap_err();
        let files: Vec<String> = errors
            .iter()
            .map(|e| e.file.display().to_string())
            .collect();
        assert_eq!(files, ["spelling.yaml", "keep.yaml"], "{errors:?}");
    }
}
