//! Message catalogs: one folder per language under `locales/`, Fluent files inside.
//! Shared across threads (concurrent bundles); no bidi isolation marks, so a code
//! copied from the chat carries no invisible characters.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentMessage, FluentResource};
use fluent_syntax::ast;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use unic_langid::LanguageIdentifier;

use crate::diagnostics::{Diagnostic, Position};

/// Where a message is defined and which variables it uses.
#[derive(Debug, Clone)]
pub struct MessageInfo {
    pub file: PathBuf,
    pub position: Option<Position>,
    pub variables: BTreeSet<String>,
    /// The message's text with each placeable as `{}`: two languages with the same
    /// text have probably not been translated.
    pub text: String,
}

pub struct Catalog {
    pub code: String,
    pub dir: PathBuf,
    bundle: FluentBundle<FluentResource>,
    pub messages: BTreeMap<String, MessageInfo>,
}

impl Catalog {
    pub fn has(&self, id: &str) -> bool {
        self.messages.contains_key(id)
    }

    /// The file a missing message should be added to (the one the guide names).
    pub fn main_file(&self) -> PathBuf {
        self.dir.join("ciu.ftl")
    }
}

/// All catalogs found under the locales folder, listed by the flow or not.
pub struct Catalogs {
    pub dir: PathBuf,
    catalogs: BTreeMap<String, Catalog>,
    fallback: String,
}

impl Catalogs {
    /// Loads every `<dir>/<lang>/*.ftl`. Syntax errors and duplicate ids are returned as
    /// diagnostics with file and line; the messages that did parse are kept.
    pub fn load(dir: &Path, fallback: &str) -> (Catalogs, Vec<Diagnostic>) {
        let mut diagnostics = Vec::new();
        let mut catalogs = BTreeMap::new();
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) => {
                diagnostics.push(Diagnostic::error(
                    dir,
                    None,
                    format!("impossible de lire le dossier des traductions ({e}). Indiquez le bon dossier avec --locales ou LOCALES_DIR."),
                ));
                return (
                    Catalogs {
                        dir: dir.to_path_buf(),
                        catalogs,
                        fallback: fallback.into(),
                    },
                    diagnostics,
                );
            }
        };
        let mut lang_dirs: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        lang_dirs.sort();
        for lang_dir in lang_dirs {
            let code = lang_dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let langid: LanguageIdentifier = match code.parse() {
                Ok(id) => id,
                Err(_) => {
                    diagnostics.push(Diagnostic::warning(
                        &lang_dir,
                        None,
                        format!("« {code} » n'est pas un code de langue (exemples : fr, ln, sw, en) ; dossier ignoré."),
                    ));
                    continue;
                }
            };
            let catalog = load_catalog(&code, langid, &lang_dir, &mut diagnostics);
            catalogs.insert(code, catalog);
        }
        (
            Catalogs {
                dir: dir.to_path_buf(),
                catalogs,
                fallback: fallback.into(),
            },
            diagnostics,
        )
    }

    pub fn get(&self, code: &str) -> Option<&Catalog> {
        self.catalogs.get(code)
    }

    pub fn codes(&self) -> impl Iterator<Item = &str> {
        self.catalogs.keys().map(String::as_str)
    }

    /// Formats message `id` in `locale`, falling back to the reference locale; a
    /// missing message (prevented by the load-time check) yields its id.
    pub fn format(&self, locale: &str, id: &str, args: Option<&FluentArgs>) -> String {
        self.format_with(locale, id, args, |message| message.value())
    }

    /// The USSD form of message `id`: its `.ussd` attribute (a shorter text for a
    /// 182-character screen, src/flow/load/ussd.rs checks it fits) when the language
    /// has one, else the message itself, with the same fallback as [`Catalogs::format`].
    pub fn format_ussd(&self, locale: &str, id: &str, args: Option<&FluentArgs>) -> String {
        self.format_with(locale, id, args, |message| {
            message
                .get_attribute("ussd")
                .map(|a| a.value())
                .or_else(|| message.value())
        })
    }

    /// Formats the pattern `pick` chooses in message `id`, in `locale` or else in the
    /// reference locale; the id itself when neither has one.
    fn format_with<'a>(
        &'a self,
        locale: &str,
        id: &str,
        args: Option<&FluentArgs>,
        pick: impl Fn(&FluentMessage<'a>) -> Option<&'a ast::Pattern<&'a str>>,
    ) -> String {
        for code in [locale, self.fallback.as_str()] {
            let Some(catalog) = self.catalogs.get(code) else {
                continue;
            };
            let Some(pattern) = catalog.bundle.get_message(id).as_ref().and_then(&pick) else {
                continue;
            };
            let mut errors = Vec::new();
            let text = catalog.bundle.format_pattern(pattern, args, &mut errors);
            if !errors.is_empty() {
                tracing::warn!(locale = code, message = id, "message formatted with errors");
            }
            return text.into_owned();
        }
        id.to_owned()
    }
}

fn load_catalog(
    code: &str,
    langid: LanguageIdentifier,
    dir: &Path,
    diagnostics: &mut Vec<Diagnostic>,
) -> Catalog {
    let mut bundle = FluentBundle::new_concurrent(vec![langid]);
    bundle.set_use_isolating(false);
    let mut messages = BTreeMap::new();
    for file in ftl_files(dir, diagnostics) {
        let Some((source, resource)) = parse_ftl(&file, diagnostics) else {
            continue;
        };
        index_messages(&file, &source, &resource, &mut messages, diagnostics);
        // Duplicates were reported above; the bundle keeps the first definition.
        let _ = bundle.add_resource(resource);
    }
    Catalog {
        code: code.to_owned(),
        dir: dir.to_path_buf(),
        bundle,
        messages,
    }
}

/// The `.ftl` files of a language folder, sorted; a warning when there are none.
fn ftl_files(dir: &Path, diagnostics: &mut Vec<Diagnostic>) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "ftl"))
        .collect();
    files.sort();
    if files.is_empty() {
        diagnostics.push(Diagnostic::warning(
            dir,
            None,
            "ce dossier de langue ne contient aucun fichier .ftl : créez-y ciu.ftl (modèle : locales/fr/ciu.ftl).",
        ));
    }
    files
}

/// Reads and parses one Fluent file: its source and what parsed of it (syntax errors
/// are reported), or nothing when it cannot be read.
fn parse_ftl(file: &Path, diagnostics: &mut Vec<Diagnostic>) -> Option<(String, FluentResource)> {
    let source = match std::fs::read_to_string(file) {
        Ok(s) => s,
        Err(e) => {
            diagnostics.push(Diagnostic::error(
                file,
                None,
                format!("fichier illisible ({e}). Enregistrez-le en UTF-8."),
            ));
            return None;
        }
    };
    let resource = match FluentResource::try_new(source.clone()) {
        Ok(r) => r,
        Err((r, errors)) => {
            for error in errors {
                diagnostics.push(Diagnostic::error(
                    file,
                    Some(error_position(&source, error.pos.start)),
                    format!("syntaxe Fluent invalide ({}). Forme attendue : identifiant = texte ; les lignes suivantes d'un message commencent par des espaces.", error.kind),
                ));
            }
            r
        }
    };
    Some((source, resource))
}

/// Records where each message of one file is defined and which variables it uses;
/// a message already defined (in this file or an earlier one) is reported.
fn index_messages(
    file: &Path,
    source: &str,
    resource: &FluentResource,
    messages: &mut BTreeMap<String, MessageInfo>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let mut seen_in_file: BTreeMap<String, usize> = BTreeMap::new();
    for entry in resource.entries() {
        let ast::Entry::Message(message) = entry else {
            continue;
        };
        let id = message.id.name.to_owned();
        let occurrence = seen_in_file.entry(id.clone()).or_default();
        let position = find_definition(source, &id, *occurrence);
        *occurrence += 1;
        if let Some(previous) = messages.get(&id) {
            let MessageInfo {
                file: f,
                position: p,
                ..
            } = previous;
            diagnostics.push(Diagnostic::error(
                file,
                position,
                format!(
                    "le message « {id} » est défini deux fois (déjà dans {}{}). Gardez-en un seul.",
                    f.display(),
                    p.map(|p| format!(":{}", p.line)).unwrap_or_default()
                ),
            ));
            continue;
        }
        let mut variables = BTreeSet::new();
        if let Some(value) = &message.value {
            collect_variables(value, &mut variables);
        }
        for attribute in &message.attributes {
            collect_variables(&attribute.value, &mut variables);
        }
        messages.insert(
            id,
            MessageInfo {
                file: file.to_path_buf(),
                position,
                variables,
                text: message.value.as_ref().map(pattern_text).unwrap_or_default(),
            },
        );
    }
}

/// The parser reports an unfinished line at the start of the next one; point at the
/// line that is actually unfinished.
fn error_position(source: &str, offset: usize) -> Position {
    let at = Position::of_offset(source, offset);
    if at.column == Some(1) && offset > 0 {
        Position::of_offset(source, offset - 1)
    } else {
        at
    }
}

/// Line of the `occurrence`-th definition of `id` in the file (0 = first).
fn find_definition(source: &str, id: &str, occurrence: usize) -> Option<Position> {
    source
        .lines()
        .enumerate()
        .filter(|(_, line)| {
            line.strip_prefix(id)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .nth(occurrence)
        .map(|(i, _)| Position::at(i + 1, 1))
}

fn pattern_text(pattern: &ast::Pattern<&str>) -> String {
    pattern
        .elements
        .iter()
        .map(|element| match element {
            ast::PatternElement::TextElement { value } => value,
            ast::PatternElement::Placeable { .. } => "{}",
        })
        .collect()
}

fn collect_variables(pattern: &ast::Pattern<&str>, out: &mut BTreeSet<String>) {
    for element in &pattern.elements {
        if let ast::PatternElement::Placeable { expression } = element {
            collect_expression(expression, out);
        }
    }
}

fn collect_expression(expression: &ast::Expression<&str>, out: &mut BTreeSet<String>) {
    match expression {
        ast::Expression::Inline(inline) => collect_inline(inline, out),
        ast::Expression::Select { selector, variants } => {
            collect_inline(selector, out);
            for variant in variants {
                collect_variables(&variant.value, out);
            }
        }
    }
}

fn collect_inline(inline: &ast::InlineExpression<&str>, out: &mut BTreeSet<String>) {
    match inline {
        ast::InlineExpression::VariableReference { id } => {
            out.insert(id.name.to_owned());
        }
        ast::InlineExpression::Placeable { expression } => collect_expression(expression, out),
        ast::InlineExpression::FunctionReference { arguments, .. } => {
            for arg in &arguments.positional {
                collect_inline(arg, out);
            }
            for arg in &arguments.named {
                collect_inline(&arg.value, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, lang: &str, text: &str) {
        std::fs::create_dir_all(dir.join(lang)).unwrap();
        std::fs::write(dir.join(lang).join("m.ftl"), text).unwrap();
    }

    #[test]
    fn formats_without_invisible_marks_and_falls_back() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "fr",
            "hello = Votre code : { $code }\nonly-fr = seulement\n",
        );
        write(dir.path(), "en", "hello = Your code: { $code }\n");
        let (cat, diags) = Catalogs::load(dir.path(), "fr");
        assert!(diags.is_empty(), "{diags:?}");
        let mut args = FluentArgs::new();
        args.set("code", "985-KINS");
        assert_eq!(
            cat.format("en", "hello", Some(&args)),
            "Your code: 985-KINS"
        );
        assert_eq!(cat.format("en", "only-fr", None), "seulement");
        assert_eq!(
            cat.get("fr").unwrap().messages["hello"].variables,
            BTreeSet::from(["code".to_owned()])
        );
    }

    #[test]
    fn syntax_errors_and_duplicates_name_the_line() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "fr",
            "ok = bien\nbroken = { $x\ndup = a\ndup = b\n",
        );
        let (_, diags) = Catalogs::load(dir.path(), "fr");
        assert!(
            diags
                .iter()
                .any(|d| d.line == Some(2) && d.message.contains("syntaxe")),
            "{diags:?}"
        );
        assert!(
            diags
                .iter()
                .any(|d| d.line == Some(4) && d.message.contains("deux fois")),
            "{diags:?}"
        );
    }
}
