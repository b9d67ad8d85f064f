//! Parser errors (serde and the YAML scanner) turned into French sentences, at the
//! place where the file goes wrong.

use std::path::Path;

use crate::diagnostics::{Diagnostic, Position};
use crate::flow::source_map::SourceMap;

/// Turns serde's and the YAML parser's messages into plain French, keeping the position.
pub(super) fn yaml_error(
    file: &Path,
    error: &serde_yaml::Error,
    source: &str,
    map: &SourceMap,
) -> Diagnostic {
    let position = error.location().map(|l| Position::at(l.line(), l.column()));
    let full = error.to_string();
    // The parser's context ("while parsing a block mapping at line 72 column 5") often
    // points closer to the real mistake than the place where parsing failed.
    let started_at = full
        .split(", while ")
        .nth(1)
        .and_then(|c| c.split(" at line ").nth(1))
        .and_then(|l| l.split(' ').next())
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|line| position.is_some_and(|p| p.line != *line))
        .map(|line| format!(" Le problème commence peut-être à la ligne {line}."))
        .unwrap_or_default();
    // serde_yaml appends " at line X column Y"; the position is shown separately.
    let raw = full.split(" at line ").next().unwrap_or(&full).to_owned();
    let (serde_path, detail) = match raw.split_once(": ") {
        Some((p, d)) if !p.contains(' ') => (p.to_owned(), d.to_owned()),
        _ => (String::new(), raw.clone()),
    };
    let mut error = Error {
        path: shown_path(&serde_path),
        serde_path,
        detail,
        started_at,
        position,
    };
    error.find_wrong_value(map);
    let (position, sentence) = error
        .missing_key_misplaced(source, map)
        .or_else(|| error.repeated_key(map))
        .or_else(|| error.about_keys(map))
        .or_else(|| error.unclosed_quote(source))
        .or_else(|| error.fits_no_form(map))
        .unwrap_or_else(|| (error.position, error.about_values()));
    Diagnostic::error(file, position, sentence)
}

struct Error {
    /// ` (à « question 3, validate »)`, or empty.
    path: String,
    serde_path: String,
    detail: String,
    started_at: String,
    position: Option<Position>,
}

fn quoted(s: &str) -> Vec<String> {
    s.split('`').skip(1).step_by(2).map(str::to_owned).collect()
}

/// A key written twice in one block (serde keeps one silently in a list of words).
pub(super) fn repeated_key_sentence(path: &str, repeat: Position, first: Position) -> String {
    let (block, key) = path.rsplit_once('.').unwrap_or(("", path));
    let lines = if repeat.line == first.line {
        format!("sur la ligne {}", first.line)
    } else {
        format!("aux lignes {} et {}", first.line, repeat.line)
    };
    format!(
        "la clé « {key} » est écrite deux fois dans le même bloc{}, {lines}. Gardez-en une seule.",
        shown_path(block)
    )
}

/// ` (à « question 3, validate »)`, or empty.
fn shown_path(serde_path: &str) -> String {
    if serde_path.is_empty() {
        String::new()
    } else {
        format!(" (à « {} »)", human_path(serde_path))
    }
}

impl Error {
    /// A value of the wrong sort inside a `type:` block (`count: trois`): serde names
    /// only the block, at its first line. When the value is written once there, point
    /// at it and name its key.
    fn find_wrong_value(&mut self, map: &SourceMap) {
        let Some(rest) = self
            .detail
            .strip_prefix("invalid type: ")
            .or_else(|| self.detail.strip_prefix("invalid value: "))
        else {
            return;
        };
        let Some((found, _)) = rest.rsplit_once(", expected ") else {
            return;
        };
        // `string "trois"`, or `integer `5`` and the like.
        let value = match found.strip_prefix("string \"") {
            Some(text) => text.strip_suffix('"'),
            None => found.split('`').nth(1),
        };
        let Some(value) = value else { return };
        let places = map.find_value_under(&self.serde_path, value);
        if places.iter().any(|(_, at)| Some(*at) == self.position) {
            return;
        }
        if let [(path, at)] = places[..] {
            self.position = Some(at);
            self.serde_path = path.to_owned();
            self.path = shown_path(path);
        }
    }

    /// A key written twice in one block: at the second one.
    fn repeated_key(&self, map: &SourceMap) -> Option<(Option<Position>, String)> {
        let key = quoted(self.detail.strip_prefix("duplicate field ")?)
            .into_iter()
            .next()?;
        let Some((path, repeat, first)) = map.repeated_key_under(&self.serde_path, &key) else {
            return Some((
                self.position,
                format!(
                    "la clé « {key} » est écrite deux fois dans le même bloc{}. Gardez-en une seule.",
                    self.path
                ),
            ));
        };
        Some((Some(repeat), repeated_key_sentence(path, repeat, first)))
    }

    /// A key reported missing that is written in the block, but not at its keys'
    /// indentation: say so at its line.
    fn missing_key_misplaced(
        &self,
        source: &str,
        map: &SourceMap,
    ) -> Option<(Option<Position>, String)> {
        let key = quoted(self.detail.strip_prefix("missing field ")?)
            .into_iter()
            .next()?;
        let lines: Vec<&str> = source.lines().collect();
        let start = map.find(&self.serde_path).or(self.position)?.line - 1;
        let indent = |l: &str| l.len() - l.trim_start_matches(' ').len();
        let is_content = |l: &str| !l.trim().is_empty() && !l.trim_start().starts_with('#');
        // The block ends at the next line as little indented as its first one.
        let outer = indent(lines.get(start)?);
        let mut previous = start;
        for (i, line) in lines.iter().enumerate().skip(start + 1) {
            if !is_content(line) {
                continue;
            }
            if indent(line) <= outer {
                break;
            }
            let written_here = line
                .trim_start()
                .strip_prefix(key.as_str())
                .is_some_and(|rest| rest.trim_start().starts_with(':'));
            if written_here {
                let there =
                    lines[previous].len() - lines[previous].trim_start_matches([' ', '-']).len();
                let here = indent(line);
                let neighbour = lines[previous]
                    .trim_start_matches([' ', '-'])
                    .split(':')
                    .next()
                    .unwrap_or_default();
                if here == there {
                    return None;
                }
                let sentence = format!(
                    "la clé « {key} » est mal indentée : {here} espace(s) en début de ligne, alors que « {neighbour}: » à la ligne {} en a {there}. Les clés d'un même bloc s'alignent : mettez {there} espaces devant « {key}: » pour qu'elle rejoigne le bloc de « {neighbour} » (voir CUSTOMIZING_QUESTIONS.md).",
                    previous + 1
                );
                return Some((Some(Position::at(i + 1, here + 1)), sentence));
            }
            previous = i;
        }
        None
    }

    /// A parser error after a line with an opening double quote and no closing one: the
    /// parser went on reading the following lines as the quoted text.
    fn unclosed_quote(&self, source: &str) -> Option<(Option<Position>, String)> {
        let until = self.position?.line;
        let (i, line) = source.lines().enumerate().take(until).find(|(_, l)| {
            if l.trim_start().starts_with('#') {
                return false;
            }
            let code = l.split(" #").next().unwrap_or_default();
            code.matches('"').count() % 2 == 1
        })?;
        let column = line.find('"').map_or(1, |c| c + 1);
        let sentence = format!(
            "le guillemet ouvert ici n'est jamais fermé : ajoutez \" à la fin de la valeur (ou retirez le guillemet).{}",
            if i + 1 == until { String::new() } else { format!(" Le fichier paraît mal formé jusqu'à la ligne {until}.") }
        );
        Some((Some(Position::at(i + 1, column)), sentence))
    }

    /// Unknown keys, unknown `type:` values and missing keys.
    fn about_keys(&self, map: &SourceMap) -> Option<(Option<Position>, String)> {
        let (path, detail) = (&self.path, &self.detail);
        if let Some(rest) = detail.strip_prefix("unknown field ") {
            let names = quoted(rest);
            let key = names.first().cloned().unwrap_or_default();
            let position = map.find_key_under(&self.serde_path, &key).or(self.position);
            let possible = &names[1.min(names.len())..];
            let sentence = if possible.is_empty() {
                format!("la clé « {key} » n'a pas de sens ici{path} : cette sorte n'a pas d'autre clé que type. Retirez-la.")
            } else {
                format!(
                    "la clé « {key} » n'est pas connue{path}. Clés possibles : {}. Vérifiez l'orthographe et l'indentation.",
                    possible.join(", ")
                )
            };
            return Some((position, sentence));
        }
        let sentence = if let Some(rest) = detail.strip_prefix("unknown variant ") {
            let names = quoted(rest);
            format!(
                "« {} » n'est pas une valeur possible{path}. Valeurs possibles : {}.",
                names.first().cloned().unwrap_or_default(),
                names[1.min(names.len())..].join(", ")
            )
        } else if let Some(rest) = detail.strip_prefix("missing field ") {
            format!(
                "il manque la clé « {} »{path}. Ajoutez-la (voir CUSTOMIZING_QUESTIONS.md).",
                quoted(rest).first().cloned().unwrap_or_default()
            )
        } else {
            return None;
        };
        Some((self.position, sentence))
    }

    /// A value that fits none of a setting's written forms. serde names no key for those:
    /// `confirm: oui` is reported at the file's first key, `max: demain` at its question.
    /// Find the value in the file.
    fn fits_no_form(&self, map: &SourceMap) -> Option<(Option<Position>, String)> {
        let wrong = |prefix: &str, keys: &[&str], fits: fn(&str) -> bool| {
            map.scalars_under(prefix)
                .find(|(path, text, _)| {
                    let key = path.rsplit('.').next().unwrap_or(path);
                    keys.contains(&key) && !fits(text)
                })
                .map(|(path, text, at)| (path.to_owned(), text.to_owned(), at))
        };
        if self.detail.contains("untagged enum ConfirmSetting") {
            // `confirm: oui`, or `enabled: oui` in its block.
            let found = wrong("confirm", &["confirm", "enabled"], |t| {
                t == "true" || t == "false"
            });
            let (position, written) = match &found {
                Some((_, text, at)) => (Some(*at), format!(" « {text} »")),
                None => (map.find("confirm").or(self.position), String::new()),
            };
            return Some((
                position,
                format!("confirm ne comprend pas{written} : écrivez true ou false (pas oui ou non), ou un bloc avec les clés enabled (true ou false), yes et no (voir CUSTOMIZING_QUESTIONS.md)."),
            ));
        }
        if self.detail.contains("untagged enum YearBound") {
            let (path, text, at) = wrong(&self.serde_path, &["min", "max"], |t| {
                t == "current" || t.parse::<i32>().is_ok()
            })?;
            return Some((
                Some(at),
                format!("« {text} » n'est pas une année{} : écrivez un nombre (ex. 1900) ou le mot current (l'année en cours).", shown_path(&path)),
            ));
        }
        None
    }

    /// Values of the wrong sort, then the YAML parser's own errors.
    fn about_values(&self) -> String {
        let (path, detail) = (&self.path, &self.detail);
        if detail.contains("untagged enum YearBound") {
            format!("une année est attendue{path} : un nombre (ex. 1900) ou le mot current (l'année en cours).")
        } else if detail.contains("untagged enum ConfirmSetting") {
            format!("confirm attend true, false, ou les clés enabled, yes et no{path}.")
        } else if detail.contains("expected a string") {
            format!("un texte est attendu{path} ; mettez la valeur entre guillemets (ex. \"q-birth-year\") ou écrivez un mot.")
        } else if detail.contains("expected a character") {
            format!("un seul caractère est attendu{path} (ex. X).")
        } else if ["expected u32", "expected usize", "expected i64"]
            .iter()
            .any(|t| detail.contains(t))
        {
            format!("un nombre entier positif est attendu{path}.")
        } else if detail.contains("unknown escape character") {
            format!("une barre oblique inverse (\\) entre guillemets doubles{path}. Écrivez l'expression entre guillemets simples, ex. '\\d+'.{}", self.started_at)
        } else if detail.contains("untagged enum Written") {
            format!("la valeur d'une option doit être un mot ou une lettre{path}, ex. value: H.")
        } else if let Some(sorts) = wrong_sort(detail) {
            format!("valeur de la mauvaise sorte{path} : {sorts}.")
        } else {
            let said = parser_sentence(detail).unwrap_or_else(|| {
                format!("{detail}. Vérifiez l'indentation (des espaces, pas de tabulations), les deux-points et les guillemets")
            });
            format!(
                "le fichier YAML est mal formé{path} : {said}.{}",
                self.started_at
            )
        }
    }
}

/// "invalid type: string \"fr\", expected a sequence" → "il faut une liste entre crochets
/// (ex. [fr, en]), pas un texte".
fn wrong_sort(detail: &str) -> Option<String> {
    let rest = detail
        .strip_prefix("invalid type: ")
        .or_else(|| detail.strip_prefix("invalid value: "))?;
    let (found, expected) = rest.rsplit_once(", expected ")?;
    let name = |sort: &str| -> &'static str {
        const NAMES: &[(&str, &str)] = &[
            ("sequence", "une liste entre crochets (ex. [fr, en])"),
            ("map", "un bloc de clés"),
            ("struct", "un bloc de clés"),
            ("boolean", "true ou false"),
            ("string", "un texte"),
            ("integer", "un nombre entier"),
            ("floating point", "un nombre à virgule"),
            ("unit", "une valeur vide"),
        ];
        NAMES
            .iter()
            .find(|(english, _)| sort.contains(english))
            .map_or("une autre valeur", |(_, french)| french)
    };
    Some(format!("il faut {}, pas {}", name(expected), name(found)))
}

/// The YAML parser's usual messages, in French, with what to do.
fn parser_sentence(detail: &str) -> Option<String> {
    const SENTENCES: &[(&str, &str)] = &[
        ("tab character", "une tabulation sert d'indentation, or YAML n'accepte que des espaces. Remplacez la tabulation par des espaces, alignés sur les lignes voisines"),
        ("mapping values are not allowed", "un deux-points inattendu. Soit cette ligne est plus indentée que les clés de son bloc (alignez-la sur elles), soit la valeur contient « : » (mettez-la entre guillemets)"),
        ("did not find expected key", "une clé attendue manque. Souvent un guillemet ouvert mais pas fermé plus haut, ou une ligne moins indentée que ses voisines. Vérifiez les guillemets et l'indentation"),
        ("found character that cannot start any token", "une valeur commence par un caractère réservé (@, `, %, |, > ou une tabulation). Mettez la valeur entre guillemets"),
        ("found unexpected end of stream", "le fichier se termine au milieu d'une valeur : un guillemet ou un crochet n'est pas fermé"),
        ("while scanning a quoted scalar", "un guillemet n'est pas fermé. Fermez-le à la fin de la valeur, sur la même ligne"),
        ("did not find expected ',' or ']'", "une liste entre crochets [ ] n'est pas fermée, ou ses éléments ne sont pas séparés par des virgules"),
        ("did not find expected ',' or '}'", "un bloc entre accolades { } n'est pas fermé, ou ses clés ne sont pas séparées par des virgules"),
        ("could not find expected ':'", "il manque « : » après une clé (ou un guillemet n'est pas fermé)"),
        ("block sequence entries are not allowed", "un élément de liste « - » est mal placé. Alignez les « - » d'une même liste, sous la clé qui la contient"),
        ("did not find expected '-' indicator", "un élément de liste n'est pas aligné sur les autres « - » de la liste. Alignez-les"),
        ("did not find expected node content", "une valeur manque après « - » ou « : »"),
        ("duplicate key", "une clé est écrite deux fois dans le même bloc. Gardez-en une seule"),
    ];
    SENTENCES
        .iter()
        .find(|(english, _)| detail.contains(english))
        .map(|(_, french)| (*french).to_owned())
}

/// `steps[2].validate` → `question 3, validate`: people count questions from 1.
fn human_path(path: &str) -> String {
    match path.strip_prefix("steps[").and_then(|r| r.split_once(']')) {
        Some((n, rest)) => match n.parse::<usize>() {
            Ok(i) => format!("question {}{}", i + 1, rest.replacen('.', ", ", 1)),
            Err(_) => path.to_owned(),
        },
        None => path.to_owned(),
    }
}
