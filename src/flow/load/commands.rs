//! Command words, confirmation words, and choices that would collide with them.
use std::collections::{HashMap, HashSet};

use super::Checker;
use crate::diagnostics::Diagnostic;
use crate::flow::definition::*;
use crate::flow::{Command, CompiledStep};
use crate::i18n::Catalogs;
use crate::normalize::normalize_words;

impl Checker {
    /// Checks that `aliases` only names listed languages and that the default language
    /// has at least one alias (it is the fallback shown in help texts).
    pub(super) fn check_aliases(&mut self, path: &str, aliases: &Aliases, def: &FlowDef) {
        for (lang, words) in aliases {
            if !def.locales.contains(lang) {
                self.error(
                    &format!("{path}.{lang}"),
                    format!("la langue « {lang} » n'est pas dans locales."),
                );
            }
            for (i, word) in words.iter().enumerate() {
                let normalized = normalize_words(word);
                if normalized.is_empty() {
                    self.error(
                        &format!("{path}.{lang}[{i}]"),
                        "ce mot est vide une fois les accents et la ponctuation retirés.",
                    );
                } else if normalized.bytes().all(|b| b.is_ascii_digit() || b == b' ') {
                    self.error(
                        &format!("{path}.{lang}[{i}]"),
                        format!("« {word} » est un nombre : il serait confondu avec une réponse ou un choix numéroté. Choisissez un mot."),
                    );
                }
            }
        }
        if aliases.get(&def.default_locale).is_none_or(Vec::is_empty) {
            self.error(
                path,
                format!(
                    "donnez au moins un mot dans la langue par défaut ({}).",
                    def.default_locale
                ),
            );
        }
    }

    /// Each language has its own words: without them its help text would list the
    /// reference language's. A language being prepared (a folder, not yet listed) gets
    /// a warning.
    fn check_every_language_has_words(
        &mut self,
        path: &str,
        aliases: &Aliases,
        def: &FlowDef,
        catalogs: &Catalogs,
    ) {
        let listed = def.locales.iter().map(String::as_str);
        let prepared = catalogs
            .codes()
            .filter(|c| !def.locales.iter().any(|l| l == c));
        for lang in listed.chain(prepared) {
            if lang == def.default_locale || aliases.get(lang).is_some_and(|w| !w.is_empty()) {
                continue;
            }
            let (key, example) = path.split_once('.').unwrap_or((path, path));
            let message = format!(
                "la langue « {lang} » n'a pas de mot pour « {example} » : ajoutez dans {} une ligne « {lang}: [MOT] » sous « {key}: » → « {example}: », avec le mot dans cette langue (sinon la personne ne voit que les mots de {}).",
                self.file.display(),
                def.default_locale
            );
            if def.locales.iter().any(|l| l == lang) {
                self.error(path, message);
            } else {
                let position = self.map.find(path);
                self.diagnostics
                    .push(Diagnostic::warning(&self.file, position, message));
            }
        }
    }

    /// Commands by language: a person's own language and the reference language are
    /// active, so "Rudi" (Swahili for back) stays a first name for a French speaker.
    pub(super) fn compile_commands(
        &mut self,
        def: &FlowDef,
        catalogs: &Catalogs,
    ) -> HashMap<String, HashMap<String, Command>> {
        let c = &def.commands;
        let table = [
            ("commands.restart", &c.restart, Command::Restart),
            ("commands.help", &c.help, Command::Help),
            ("commands.language", &c.language, Command::Language),
            ("commands.back", &c.back, Command::Back),
            ("commands.stop", &c.stop, Command::Stop),
        ];
        let mut every_language: HashMap<String, Command> = HashMap::new();
        let mut commands: HashMap<String, HashMap<String, Command>> = HashMap::new();
        for (path, aliases, command) in table {
            self.check_aliases(path, aliases, def);
            self.check_every_language_has_words(path, aliases, def, catalogs);
            for (lang, words) in aliases {
                for (i, word) in words.iter().enumerate() {
                    let key = normalize_words(word);
                    if every_language
                        .get(&key)
                        .is_some_and(|other| *other != command)
                    {
                        self.error(
                            &format!("{path}.{lang}[{i}]"),
                            format!("« {word} » sert déjà pour une autre commande. Chaque mot ne peut avoir qu'un sens."),
                        );
                    }
                    every_language.insert(key.clone(), command);
                    commands
                        .entry(lang.clone())
                        .or_default()
                        .insert(key, command);
                }
            }
        }
        commands
    }

    pub(super) fn compile_confirm(
        &mut self,
        def: &FlowDef,
        commands: &HashMap<String, HashMap<String, Command>>,
        catalogs: &Catalogs,
    ) -> (HashSet<String>, HashSet<String>) {
        // 1/2, the buttons' ids and the buttons' titles typed out always work, whatever
        // words the flow lists.
        let mut yes = HashSet::from(["1".to_owned(), "YES".to_owned()]);
        let mut no = HashSet::from(["2".to_owned(), "NO".to_owned()]);
        if !def.confirm.enabled() {
            return (yes, no);
        }
        for lang in def.locales.iter().filter(|l| catalogs.get(l).is_some()) {
            yes.insert(normalize_words(&catalogs.format(lang, "confirm-yes", None)));
            no.insert(normalize_words(&catalogs.format(lang, "confirm-no", None)));
        }
        let (yes_words, no_words) = def.confirm.words();
        for (path, aliases, set) in [
            ("confirm.yes", &yes_words, &mut yes),
            ("confirm.no", &no_words, &mut no),
        ] {
            if aliases.is_empty() {
                continue;
            }
            self.check_aliases(path, aliases, def);
            self.check_every_language_has_words(path, aliases, def, catalogs);
            for (lang, words) in aliases {
                for (i, word) in words.iter().enumerate() {
                    let key = normalize_words(word);
                    if commands.values().any(|c| c.contains_key(&key)) {
                        self.error(
                            &format!("{path}.{lang}[{i}]"),
                            format!("« {word} » est aussi une commande ; choisissez un autre mot."),
                        );
                    }
                    set.insert(key);
                }
            }
        }
        if let Some(both) = yes.intersection(&no).next() {
            self.error(
                "confirm",
                format!("« {both} » veut dire à la fois oui et non."),
            );
        }
        (yes, no)
    }

    /// An option that is also a command word would run the command instead of
    /// answering (a button "STOP" would stop the conversation).
    pub(super) fn check_choices_against_commands(
        &mut self,
        def: &FlowDef,
        steps: &[CompiledStep],
        catalogs: &Catalogs,
        commands: &HashMap<String, HashMap<String, Command>>,
    ) {
        let active = |lang: &str, word: &str| {
            [lang, def.default_locale.as_str()]
                .iter()
                .any(|l| commands.get(*l).is_some_and(|c| c.contains_key(word)))
        };
        for (i, step) in steps.iter().enumerate() {
            for (j, option) in step.validator.choices().iter().enumerate() {
                let value = normalize_words(&option.value);
                if def.locales.iter().any(|l| active(l, &value)) {
                    self.error(
                        &format!("steps[{i}].validate.options[{j}].value"),
                        format!("la valeur « {} » est aussi une commande : la choisir lancerait la commande. Choisissez une autre valeur.", option.value),
                    );
                }
                for lang in &def.locales {
                    let Some(info) = catalogs
                        .get(lang)
                        .and_then(|c| c.messages.get(&option.label))
                    else {
                        continue;
                    };
                    let label = catalogs.format(lang, &option.label, None);
                    if active(lang, &normalize_words(&label)) {
                        self.diagnostics.push(Diagnostic::error(
                            &info.file,
                            info.position,
                            format!("le libellé « {label} » ({lang}) est aussi une commande : l'écrire lancerait la commande au lieu de répondre. Changez le libellé."),
                        ));
                    }
                }
            }
        }
    }
}
