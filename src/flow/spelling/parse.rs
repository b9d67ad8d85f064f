//! Reading flows/spelling.yaml into compiled [`RuleSet`]s, with French diagnostics
//! that point at the line of the rule.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::rules::{Anchor, Context, LetterSet, Rewrite, Rule, RuleSet};
use crate::diagnostics::{Diagnostic, Position};
use crate::flow::source_map::SourceMap;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    #[serde(default)]
    classes: BTreeMap<String, String>,
    rule_sets: BTreeMap<String, Vec<RuleDef>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleDef {
    from: Option<String>,
    to: Option<String>,
    before: Option<String>,
    after: Option<String>,
    at: Option<String>,
    collapse_doubles: Option<String>,
    #[serde(rename = "use")]
    use_set: Option<String>,
}

/// Every rule set of flows/spelling.yaml, `{ use: … }` expanded.
#[derive(Debug, Clone)]
pub struct SpellingRules {
    pub path: PathBuf,
    sets: BTreeMap<String, RuleSet>,
}

impl SpellingRules {
    pub fn parse(path: &Path, text: &str) -> Result<SpellingRules, Vec<Diagnostic>> {
        let map = SourceMap::build(text);
        let file: RulesFile = serde_yaml::from_str(text).map_err(|e| vec![yaml_error(path, &e)])?;
        let mut parser = Parser {
            path,
            map: &map,
            classes: HashMap::new(),
            defs: &file.rule_sets,
            diagnostics: Vec::new(),
        };
        parser.classes(&file.classes);
        let mut sets = BTreeMap::new();
        for name in file.rule_sets.keys() {
            let mut rules = Vec::new();
            parser.expand(name, &mut vec![name.clone()], &mut rules);
            sets.insert(
                name.clone(),
                RuleSet {
                    name: name.clone(),
                    rules,
                },
            );
        }
        if parser.diagnostics.is_empty() {
            Ok(SpellingRules {
                path: path.to_path_buf(),
                sets,
            })
        } else {
            Err(parser.diagnostics)
        }
    }

    pub fn get(&self, name: &str) -> Option<&RuleSet> {
        self.sets.get(name)
    }

    pub fn sets(&self) -> impl Iterator<Item = &RuleSet> {
        self.sets.values()
    }

    pub fn names(&self) -> Vec<&str> {
        self.sets.keys().map(String::as_str).collect()
    }
}

struct Parser<'a> {
    path: &'a Path,
    map: &'a SourceMap,
    classes: HashMap<String, LetterSet>,
    defs: &'a BTreeMap<String, Vec<RuleDef>>,
    diagnostics: Vec<Diagnostic>,
}

impl Parser<'_> {
    fn error(&mut self, at: &str, message: String) {
        let position = self.map.find(at);
        self.diagnostics
            .push(Diagnostic::error(self.path, position, message));
    }

    fn classes(&mut self, classes: &BTreeMap<String, String>) {
        for (name, letters) in classes {
            let at = format!("classes.{name}");
            if !is_class_name(name) {
                self.error(
                    &at,
                    format!("le nom de classe « {name} » doit s'écrire en minuscules (a–z, _)."),
                );
            } else if !is_normalized(letters) || letters.is_empty() {
                self.error(
                    &at,
                    format!(
                        "la classe « {name} » doit lister des lettres majuscules sans accents \
                         ni espaces (par exemple AEIOU), pas « {letters} »."
                    ),
                );
            } else {
                self.classes
                    .insert(name.clone(), LetterSet::from_letters(letters));
            }
        }
    }

    /// Appends the compiled rules of `name` to `out`, following `{ use: … }`.
    fn expand(&mut self, name: &str, chain: &mut Vec<String>, out: &mut Vec<Rule>) {
        let Some(defs) = self.defs.get(name) else {
            return;
        };
        for (index, def) in defs.iter().enumerate() {
            let at = format!("rule_sets.{name}[{index}]");
            match &def.use_set {
                Some(used) => self.expand_use(&at, def, used, chain, out),
                None => {
                    if let Some(rule) = self.rule(&at, def) {
                        out.push(rule);
                    }
                }
            }
        }
    }

    fn expand_use(
        &mut self,
        at: &str,
        def: &RuleDef,
        used: &str,
        chain: &mut Vec<String>,
        out: &mut Vec<Rule>,
    ) {
        let extra = def.from.is_some()
            || def.to.is_some()
            || def.collapse_doubles.is_some()
            || has_context(def);
        if extra {
            self.error(
                at,
                format!("« use: {used} » s'écrit seul, sans from, to, before, after ni at."),
            );
        } else if !self.defs.contains_key(used) {
            let known = self.defs.keys().cloned().collect::<Vec<_>>().join(", ");
            self.error(
                at,
                format!("le jeu de règles « {used} » n'existe pas (jeux définis : {known})."),
            );
        } else if chain.iter().any(|c| c == used) {
            // Reported once, on the set that closes the circle.
            if chain.len() == 1 || chain[0] == used {
                self.error(
                    at,
                    format!(
                        "les jeux de règles s'incluent en boucle : {} → {used}.",
                        chain.join(" → ")
                    ),
                );
            }
        } else {
            chain.push(used.to_owned());
            self.expand(used, chain, out);
            chain.pop();
        }
    }

    fn rule(&mut self, at: &str, def: &RuleDef) -> Option<Rule> {
        let context = self.context(at, def)?;
        let label = self.map.find(at).map_or_else(
            || "la règle".to_owned(),
            |p| format!("la règle de la ligne {}", p.line),
        );
        let rewrite = match (&def.from, &def.collapse_doubles) {
            (Some(from), None) => self.replace(at, from, def.to.as_deref())?,
            (None, Some(class)) if !has_context(def) && def.to.is_none() => {
                Rewrite::CollapseDoubles {
                    letters: self.letters(&format!("{at}.collapse_doubles"), class)?,
                }
            }
            (None, Some(_)) => {
                self.error(
                    at,
                    "« collapse_doubles » s'écrit seul, sans to, before, after ni at.".into(),
                );
                return None;
            }
            _ => {
                self.error(
                    at,
                    "une règle s'écrit { from: …, to: … }, { collapse_doubles: … } ou \
                     { use: … }."
                        .into(),
                );
                return None;
            }
        };
        Some(Rule {
            rewrite,
            context,
            position: self.map.find(at),
            label,
        })
    }

    fn replace(&mut self, at: &str, from: &str, to: Option<&str>) -> Option<Rewrite> {
        let Some(to) = to else {
            self.error(
                at,
                format!(
                    "la règle « from: {from} » n'a pas de « to » (écrivez to: \"\" pour effacer)."
                ),
            );
            return None;
        };
        if from.is_empty() || !is_normalized(from) {
            self.error(
                &format!("{at}.from"),
                format!(
                    "« from: {from} » ne peut jamais s'appliquer : les réponses sont comparées \
                     en majuscules sans accents, espaces, apostrophes ni tirets. Écrivez {}.",
                    suggestion(from)
                ),
            );
            return None;
        }
        if !is_normalized(to) {
            self.error(
                &format!("{at}.to"),
                format!(
                    "« to: {to} » doit s'écrire en majuscules sans accents ni espaces ({}).",
                    suggestion(to)
                ),
            );
            return None;
        }
        Some(Rewrite::Replace {
            from: from.to_owned(),
            to: to.to_owned(),
        })
    }

    fn context(&mut self, at: &str, def: &RuleDef) -> Option<Context> {
        let mut ok = true;
        let mut letters = |field: &str, value: &Option<String>, this: &mut Self| {
            value.as_ref().and_then(|v| {
                let set = this.letters(&format!("{at}.{field}"), v);
                ok &= set.is_some();
                set
            })
        };
        let after = letters("after", &def.after, self);
        let before = letters("before", &def.before, self);
        let anchor = match def.at.as_deref() {
            None => None,
            Some("start") => Some(Anchor::Start),
            Some("end") => Some(Anchor::End),
            Some(other) => {
                self.error(
                    &format!("{at}.at"),
                    format!("« at: {other} » : écrivez « at: start » (début du mot) ou « at: end » (fin du mot)."),
                );
                return None;
            }
        };
        ok.then_some(Context {
            after,
            before,
            at: anchor,
        })
    }

    /// A context value: a class name (lowercase) or the letters themselves (uppercase).
    fn letters(&mut self, at: &str, value: &str) -> Option<LetterSet> {
        if is_class_name(value) {
            if let Some(set) = self.classes.get(value) {
                return Some(*set);
            }
            let mut known: Vec<&str> = self.classes.keys().map(String::as_str).collect();
            known.sort_unstable();
            self.error(
                at,
                format!(
                    "la classe « {value} » n'est pas définie sous « classes: » (classes \
                     définies : {}).",
                    known.join(", ")
                ),
            );
            return None;
        }
        if !value.is_empty() && is_normalized(value) {
            return Some(LetterSet::from_letters(value));
        }
        self.error(
            at,
            format!(
                "« {value} » : écrivez des lettres majuscules sans accents (par exemple AEO) \
                 ou le nom d'une classe (par exemple vowel)."
            ),
        );
        None
    }
}

fn has_context(def: &RuleDef) -> bool {
    def.before.is_some() || def.after.is_some() || def.at.is_some()
}

/// Only what src/normalize.rs keeps: `A–Z` and `0–9`.
pub(super) fn is_normalized(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

fn is_class_name(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}

fn suggestion(text: &str) -> String {
    let normalized = crate::normalize::normalize(text);
    if normalized.is_empty() {
        "des lettres A–Z".to_owned()
    } else {
        format!("plutôt « {normalized} »")
    }
}

/// A YAML or shape error in French, at serde's position.
pub(super) fn yaml_error(path: &Path, error: &serde_yaml::Error) -> Diagnostic {
    let position = error.location().map(|l| Position::at(l.line(), l.column()));
    let full = error.to_string();
    let raw = full.split(" at line ").next().unwrap_or(&full);
    let message = if let Some(rest) = raw.split("unknown field `").nth(1) {
        let key = rest.split('`').next().unwrap_or(rest);
        let expected = rest
            .split("expected ")
            .nth(1)
            .unwrap_or("")
            .replace('`', "");
        format!("clé inconnue « {key} » (clés possibles : {expected}).")
    } else if let Some(rest) = raw.split("missing field `").nth(1) {
        let key = rest.split('`').next().unwrap_or(rest);
        format!("la clé « {key} » manque.")
    } else {
        format!("ce fichier n'a pas la forme attendue ({raw}).")
    };
    Diagnostic::error(path, position, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<SpellingRules, Vec<Diagnostic>> {
        SpellingRules::parse(Path::new("spelling.yaml"), text)
    }

    fn messages(text: &str) -> Vec<String> {
        parse(text)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn sets_are_compiled_with_their_includes_in_place() {
        let rules = parse(
            "classes: { vowel: AEIOU }\nrule_sets:\n  common:\n    - { from: OU, to: U }\n  \
             names:\n    - { from: TCH, to: TSH }\n    - { use: common }\n    - { collapse_doubles: vowel }\n",
        )
        .unwrap();
        let names = rules.get("names").unwrap();
        assert_eq!(names.rules.len(), 3);
        assert_eq!(names.apply("TCHOUU"), "TSHU");
        assert_eq!(
            names.rules[1].position.unwrap().line,
            4,
            "the line in `common`"
        );
    }

    #[test]
    fn characters_normalization_removes_are_refused_with_their_line() {
        let errors = messages(
            "rule_sets:\n  names:\n    - { from: tch, to: TSH }\n    - { from: É, to: E }\n",
        );
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].starts_with("spelling.yaml:3:"), "{errors:?}");
        assert!(
            errors[0].contains("ne peut jamais s'appliquer"),
            "{errors:?}"
        );
        assert!(errors[0].contains("« TCH »"), "{errors:?}");
        assert!(errors[1].starts_with("spelling.yaml:4:"), "{errors:?}");
    }

    #[test]
    fn unknown_classes_sets_and_anchors_are_named() {
        let errors = messages(
            "rule_sets:\n  a:\n    - { from: U, to: W, before: vowels }\n    - { use: b }\n    \
             - { from: Y, to: I, at: fin }\n    - { use: a }\n",
        )
        .join("\n");
        assert!(
            errors.contains("la classe « vowels » n'est pas définie"),
            "{errors}"
        );
        assert!(
            errors.contains("le jeu de règles « b » n'existe pas"),
            "{errors}"
        );
        assert!(errors.contains("« at: fin »"), "{errors}");
        assert!(errors.contains("s'incluent en boucle : a → a"), "{errors}");
    }

    #[test]
    fn shape_errors_are_in_french() {
        let errors = messages("rule_sets:\n  a:\n    - { form: U, to: W }\n");
        assert!(errors[0].contains("clé inconnue « form »"), "{errors:?}");
        let errors = messages("rule_sets:\n  a:\n    - { from: U }\n");
        assert!(errors[0].contains("n'a pas de « to »"), "{errors:?}");
    }
}
