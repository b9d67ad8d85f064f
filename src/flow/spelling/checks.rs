//! Checks of the spelling data for `ciu check`: rules that can never match, rules that
//! loop, places that share a spelling, and merges of the keep-apart pairs.

use std::collections::HashMap;
use std::path::Path;

use super::gazetteer::Gazetteer;
use super::keep_apart::{KeepApart, KeepApartPair};
use super::parse::SpellingRules;
use super::rules::{Anchor, Rewrite, Rule, RuleSet};
use super::Canonicalizer;
use crate::diagnostics::Diagnostic;
use crate::normalize::normalize;

/// Dead rules and loops in every set.
pub fn check_rules(rules: &SpellingRules) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for set in rules.sets() {
        for (index, rule) in set.rules.iter().enumerate() {
            if let Some(reason) = never_matches(set, index) {
                diagnostics.push(Diagnostic::error(
                    &rules.path,
                    rule.position,
                    format!(
                        "dans le jeu « {} », {} ne peut jamais s'appliquer : {reason}",
                        set.name, rule.label
                    ),
                ));
            }
        }
        if let Some(word) = loop_probe(set) {
            let trace = set.trace(&word);
            let first = trace.fired.first().map(|i| &set.rules[*i]);
            diagnostics.push(Diagnostic::error(
                &rules.path,
                first.and_then(|r| r.position),
                format!(
                    "les règles du jeu « {} » tournent en rond sur « {word} » (jamais de forme \
                     stable) : {}. Une règle ne doit pas recréer ce qu'une autre défait.",
                    set.name,
                    rule_lines(set, &trace.fired)
                ),
            ));
        }
    }
    diagnostics
}

/// Why rule `index` of `set` can never change a word, if it cannot.
fn never_matches(set: &RuleSet, index: usize) -> Option<String> {
    let rule = &set.rules[index];
    let context = rule.context;
    if context.at == Some(Anchor::Start) && context.after.is_some() {
        return Some("rien ne précède le début du mot (« at: start » avec « after »).".into());
    }
    if context.at == Some(Anchor::End) && context.before.is_some() {
        return Some("rien ne suit la fin du mot (« at: end » avec « before »).".into());
    }
    let Rewrite::Replace { from, to } = &rule.rewrite else {
        return None;
    };
    if from == to {
        return Some(format!("elle remplace {from} par lui-même."));
    }
    let consumed_by = set.rules[..index]
        .iter()
        .enumerate()
        .rev()
        .find(|(earlier, r)| consumes(r, from) && !recreated(&set.rules[earlier + 1..index], r));
    consumed_by.map(|(_, earlier)| {
        format!(
            "{} (plus haut) a déjà remplacé tout {from}. Placez-la avant, ou supprimez-la.",
            earlier.label
        )
    })
}

/// Whether `rule`, applied unconditionally, leaves no occurrence of `from`.
fn consumes(rule: &Rule, from: &str) -> bool {
    if !rule.context.is_unconditional() {
        return false;
    }
    match &rule.rewrite {
        Rewrite::Replace { from: earlier, to } => {
            from.contains(earlier.as_str()) && !to.contains(earlier.as_str())
        }
        Rewrite::CollapseDoubles { letters } => from
            .as_bytes()
            .windows(2)
            .any(|w| w[0] == w[1] && letters.contains(w[0])),
    }
}

/// Whether a rule between the consuming one and the checked one may write its text again.
fn recreated(between: &[Rule], consuming: &Rule) -> bool {
    let needed: &[u8] = match &consuming.rewrite {
        Rewrite::Replace { from, .. } => from.as_bytes(),
        Rewrite::CollapseDoubles { .. } => return !between.is_empty(),
    };
    between.iter().any(|rule| match &rule.rewrite {
        Rewrite::Replace { to, .. } => to.bytes().any(|b| needed.contains(&b)),
        Rewrite::CollapseDoubles { .. } => true,
    })
}

/// A short word on which the set finds no fixpoint, if any: each rule's own text,
/// alone and between vowels or consonants.
fn loop_probe(set: &RuleSet) -> Option<String> {
    let mut pieces = Vec::new();
    for rule in &set.rules {
        if let Rewrite::Replace { from, to } = &rule.rewrite {
            pieces.push(from.clone());
            pieces.push(to.clone());
        }
    }
    let frames = [
        ("", ""),
        ("A", "A"),
        ("K", "K"),
        ("A", ""),
        ("", "A"),
        ("M", "I"),
    ];
    pieces.iter().find_map(|piece| {
        frames.iter().find_map(|(left, right)| {
            let word = format!("{left}{piece}{right}");
            (!set.trace(&word).fixpoint).then_some(word)
        })
    })
}

fn rule_lines(set: &RuleSet, fired: &[usize]) -> String {
    let mut indexes: Vec<usize> = fired.to_vec();
    indexes.sort_unstable();
    indexes.dedup();
    indexes
        .iter()
        .map(|i| set.rules[*i].label.clone())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Spellings given to two places, spellings that become another place's after the
/// rules, and canonical forms that do not lead back to their own place.
pub fn check_gazetteer(gazetteer: &Gazetteer) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    let path = &gazetteer.path;
    let mut exact_owner: HashMap<&str, usize> = HashMap::new();
    let mut spelled_owner: HashMap<&str, (usize, &str)> = HashMap::new();
    for (index, place) in gazetteer.places.iter().enumerate() {
        for spelling in &place.spellings {
            let exact = *exact_owner.entry(&spelling.normalized).or_insert(index);
            let (spelled, by) = *spelled_owner
                .entry(&spelling.spelled)
                .or_insert((index, &spelling.written));
            if exact != index {
                diagnostics.push(Diagnostic::error(
                    path,
                    spelling.position,
                    format!(
                        "« {} » désigne déjà « {} » : une écriture ne peut désigner qu'un seul lieu.",
                        spelling.written, gazetteer.places[exact].name
                    ),
                ));
            } else if spelled != index {
                diagnostics.push(Diagnostic::error(
                    path,
                    spelling.position,
                    format!(
                        "« {} » (lieu « {} ») devient {} avec les règles « {} », comme « {by} » \
                         (lieu « {} ») : les deux lieux seraient confondus. Changez l'écriture ou \
                         la règle.",
                        spelling.written,
                        place.name,
                        spelling.spelled,
                        gazetteer.rules.name,
                        gazetteer.places[spelled].name
                    ),
                ));
            }
        }
        diagnostics.extend(unstable_canonical(gazetteer, index));
    }
    diagnostics
}

fn unstable_canonical(gazetteer: &Gazetteer, index: usize) -> Option<Diagnostic> {
    let place = &gazetteer.places[index];
    let position = place.spellings.first().and_then(|s| s.position);
    let normalized = normalize(&place.name);
    let trace = gazetteer.rules.trace(&normalized);
    let problem = if !trace.fixpoint {
        format!(
            "les règles « {} » ne donnent pas de forme stable pour « {} ».",
            gazetteer.rules.name, place.name
        )
    } else {
        match gazetteer.lookup(&place.canonical) {
            Some(found) if found == place.canonical => return None,
            found => format!(
                "la forme canonique {} de « {} » désigne {} : elle doit mener à ce lieu.",
                place.canonical,
                place.name,
                found.map_or("aucun lieu".to_owned(), |f| format!("le lieu {f}"))
            ),
        }
    };
    Some(Diagnostic::error(&gazetteer.path, position, problem))
}

/// The keep-apart pairs that the rules (and, for its rule set, the gazetteer) merge.
pub fn check_keep_apart(
    rules: &SpellingRules,
    gazetteer: Option<&Gazetteer>,
    keep_apart: &KeepApart,
) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    let mut canonicalizers: HashMap<&str, Canonicalizer> = HashMap::new();
    for pair in &keep_apart.pairs {
        let Some(set) = rules.get(&pair.rule_set) else {
            diagnostics.push(Diagnostic::error(
                &keep_apart.path,
                pair.position,
                format!(
                    "le jeu de règles « {} » n'existe pas dans {} (jeux définis : {}).",
                    pair.rule_set,
                    rules.path.display(),
                    rules.names().join(", ")
                ),
            ));
            continue;
        };
        let canonicalizer = canonicalizers.entry(&set.name).or_insert_with(|| {
            let gazetteer = gazetteer.filter(|g| g.rules.name == set.name);
            Canonicalizer::new(set.clone(), gazetteer.cloned().map(Into::into))
        });
        let merged = merged_pair(&keep_apart.path, canonicalizer, pair, &rules.path);
        diagnostics.extend(merged);
    }
    diagnostics
}

fn merged_pair(
    path: &Path,
    canonicalizer: &Canonicalizer,
    pair: &KeepApartPair,
    rules_path: &Path,
) -> Option<Diagnostic> {
    let (a, b) = (normalize(&pair.first), normalize(&pair.second));
    let form = canonicalizer.canonical(&a);
    if form != canonicalizer.canonical(&b) {
        return None;
    }
    let set = canonicalizer.rules();
    let mut fired = set.trace(&a).fired;
    fired.extend(set.trace(&b).fired);
    let cause = match canonicalizer.gazetteer() {
        Some(g) if g.lookup(&a).is_some() || g.lookup(&b).is_some() => {
            format!(
                "le répertoire {} les donne pour le même lieu",
                g.path.display()
            )
        }
        _ if a == b => "ils s'écrivent pareil une fois normalisés".to_owned(),
        _ => format!(
            "règles en cause dans {} : {}",
            rules_path.display(),
            rule_lines(set, &fired)
        ),
    };
    Some(Diagnostic::error(
        path,
        pair.position,
        format!(
            "« {} » et « {} » doivent rester distincts, mais le jeu « {} » les écrit tous deux \
             {form} ({cause}).",
            pair.first, pair.second, set.name
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> SpellingRules {
        SpellingRules::parse(Path::new("spelling.yaml"), text).unwrap()
    }

    fn messages(diagnostics: &[Diagnostic]) -> String {
        let text: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
        text.join("\n")
    }

    #[test]
    fn rules_that_can_never_apply_are_named_with_their_line() {
        let errors = check_rules(&rules(
            "rule_sets:\n  a:\n    - { from: OU, to: U }\n    - { from: MOU, to: MU }\n    \
             - { from: X, to: X }\n    - { from: Y, to: I, at: start, after: A }\n    \
             - { collapse_doubles: L }\n    - { from: LL, to: L }\n",
        ));
        let text = messages(&errors);
        assert_eq!(errors.len(), 4, "{text}");
        assert!(
            text.contains("spelling.yaml:4:")
                && text.contains("la règle de la ligne 3 (plus haut)"),
            "{text}"
        );
        assert!(
            text.contains("spelling.yaml:5:") && text.contains("par lui-même"),
            "{text}"
        );
        assert!(
            text.contains("spelling.yaml:6:") && text.contains("rien ne précède"),
            "{text}"
        );
        assert!(
            text.contains("spelling.yaml:8:") && text.contains("la règle de la ligne 7"),
            "{text}"
        );
    }

    #[test]
    fn a_rule_whose_text_another_rule_writes_back_is_not_dead() {
        let errors = check_rules(&rules(
            "rule_sets:\n  a:\n    - { from: CH, to: SH }\n    - { from: K, to: CH, before: E }\n    \
             - { from: TCH, to: TSH }\n    - { from: OU, to: U, before: A }\n    - { from: OUA, to: WA }\n",
        ));
        assert!(errors.is_empty(), "{}", messages(&errors));
    }

    #[test]
    fn rules_that_loop_are_reported() {
        let errors = check_rules(&rules(
            "rule_sets:\n  a:\n    - { from: AB, to: BA }\n    - { from: BA, to: AB }\n",
        ));
        assert!(
            messages(&errors).contains("tournent en rond"),
            "{}",
            messages(&errors)
        );
    }

    #[test]
    fn a_canonical_name_that_leads_to_another_place_is_reported() {
        let rules = rules("rule_sets:\n  places:\n    - { from: OU, to: U }\n");
        let text = "rule_set: places\nplaces:\n  - name: Ailleurs\n    aliases: [Kwamouth]\n  \
                    - name: Kwamouth\n";
        let gazetteer = Gazetteer::parse(Path::new("places.yaml"), text, &rules).unwrap();
        let text = messages(&check_gazetteer(&gazetteer));
        assert!(text.contains("places.yaml:5:"), "{text}");
        assert!(
            text.contains("la forme canonique KWAMOUTH de « Kwamouth » désigne le lieu AILLEURS"),
            "{text}"
        );
    }

    #[test]
    fn a_keep_apart_pair_merged_by_the_gazetteer_is_named() {
        let rules = rules("rule_sets:\n  places:\n    - { from: OU, to: U }\n");
        let places = "rule_set: places\nplaces:\n  - name: Kivu\n    aliases: [Sud-Kivu]\n";
        let gazetteer = Gazetteer::parse(Path::new("places.yaml"), places, &rules).unwrap();
        let keep =
            KeepApart::parse(Path::new("keep.yaml"), "places:\n  - [Kivu, Sud-Kivu]\n").unwrap();
        let text = messages(&check_keep_apart(&rules, Some(&gazetteer), &keep));
        assert!(text.starts_with("keep.yaml:2:"), "{text}");
        assert!(
            text.contains("le répertoire places.yaml les donne pour le même lieu"),
            "{text}"
        );
        let keep = KeepApart::parse(Path::new("keep.yaml"), "lieux:\n  - [Kivu, Goma]\n").unwrap();
        let text = messages(&check_keep_apart(&rules, Some(&gazetteer), &keep));
        assert!(text.contains("« lieux » n'existe pas"), "{text}");
    }
}
