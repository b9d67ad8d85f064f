//! Loading a flow file and its catalogs: every check of SPEC §3, each reported with file,
//! line and a sentence a programme officer understands; then compilation into [`Flow`].

use regex::Regex;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::ciu::CiuTemplate;
use crate::diagnostics::{Diagnostic, Position};
use crate::flow::definition::*;
use crate::flow::source_map::SourceMap;
use crate::flow::validators::{choice_lookup, ChoiceOption, Validator};
use crate::flow::{Command, CompiledStep, Flow, FIXED_MESSAGES};
use crate::i18n::Catalogs;
use crate::normalize::normalize_words;

/// WhatsApp limits (Cloud API): reply buttons and list rows.
const MAX_BUTTONS: usize = 3;
const MAX_BUTTON_TITLE: usize = 20;
const MAX_LIST_ROWS: usize = 10;
const MAX_ROW_TITLE: usize = 24;
/// Twilio refuses longer WhatsApp message bodies.
pub const MAX_REPLY_CHARS: usize = 1600;

/// A loaded flow plus the warnings found on the way.
pub struct Loaded {
    pub flow: Flow,
    pub warnings: Vec<Diagnostic>,
}

/// Loads and checks `flow_path` with the catalogs in `locales_dir`. Any error → `Err`
/// with every diagnostic found (errors and warnings), sorted by file and line.
pub fn load(flow_path: &Path, locales_dir: &Path) -> Result<Loaded, Vec<Diagnostic>> {
    let source = std::fs::read_to_string(flow_path).map_err(|e| {
        vec![Diagnostic::error(
            flow_path,
            None,
            format!("impossible de lire le fichier du flux ({e}). Vérifiez le chemin (--flow ou FLOW_PATH)."),
        )]
    })?;
    let map = SourceMap::build(&source);
    let def: FlowDef =
        serde_yaml::from_str(&source).map_err(|e| vec![yaml_error(flow_path, &e, &map)])?;
    let mut checker = Checker {
        file: flow_path.to_path_buf(),
        map,
        diagnostics: Vec::new(),
    };
    let flow = checker.compile(def, locales_dir);
    let mut diagnostics = checker.diagnostics;
    diagnostics.sort_by(|a, b| (&a.file, a.line, a.severity).cmp(&(&b.file, b.line, b.severity)));
    match flow {
        Some(flow) if !diagnostics.iter().any(Diagnostic::is_error) => Ok(Loaded {
            flow,
            warnings: diagnostics,
        }),
        _ => Err(diagnostics),
    }
}

/// Turns serde's messages into plain French, keeping the position.
fn yaml_error(file: &Path, error: &serde_yaml::Error, map: &SourceMap) -> Diagnostic {
    let mut position = error.location().map(|l| Position::at(l.line(), l.column()));
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
    let (path, detail) = match raw.split_once(": ") {
        Some((p, d)) if !p.contains(' ') => (format!(" (à « {} »)", human_path(p)), d.to_owned()),
        _ => (String::new(), raw.clone()),
    };
    let quoted =
        |s: &str| -> Vec<String> { s.split('`').skip(1).step_by(2).map(str::to_owned).collect() };
    let sentence = if let Some(rest) = detail.strip_prefix("unknown field ") {
        let names = quoted(rest);
        let key = names.first().cloned().unwrap_or_default();
        let serde_path = raw.split_once(": ").map_or("", |(p, _)| p);
        if let Some(exact) = map.find_key_under(serde_path, &key) {
            position = Some(exact);
        }
        let possible = &names[1.min(names.len())..];
        if possible.is_empty() {
            format!("la clé « {key} » n'a pas de sens ici{path} : cette sorte n'a pas d'autre clé que type. Retirez-la.")
        } else {
            format!(
                "la clé « {key} » n'est pas connue{path}. Clés possibles : {}. Vérifiez l'orthographe.",
                possible.join(", ")
            )
        }
    } else if let Some(rest) = detail.strip_prefix("unknown variant ") {
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
    } else if detail.contains("untagged enum YearBound") {
        format!("une année est attendue{path} : un nombre (ex. 1900) ou le mot current (l'année en cours).")
    } else if detail.contains("untagged enum ConfirmSetting") {
        format!("confirm attend true, false, ou les clés enabled, yes et no{path}.")
    } else if detail.contains("expected a string") {
        format!("un texte est attendu{path} ; mettez la valeur entre guillemets (ex. \"1\").")
    } else if detail.contains("expected a character") {
        format!("un seul caractère est attendu{path} (ex. X).")
    } else if detail.contains("expected u32")
        || detail.contains("expected usize")
        || detail.contains("expected i64")
    {
        format!("un nombre entier positif est attendu{path}.")
    } else if detail.contains("unknown escape character") {
        format!("une barre oblique inverse (\\) entre guillemets doubles{path}. Écrivez l'expression entre guillemets simples, ex. '\\d+'.{started_at}")
    } else if detail.starts_with("invalid type") || detail.starts_with("invalid value") {
        format!("valeur de la mauvaise sorte{path} : {detail}.")
    } else {
        format!("le fichier YAML est mal formé{path} : {detail}. Vérifiez l'indentation (des espaces, pas de tabulations), les deux-points et les guillemets.{started_at}")
    };
    Diagnostic::error(file, position, sentence)
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

struct Checker {
    file: PathBuf,
    map: SourceMap,
    diagnostics: Vec<Diagnostic>,
}

impl Checker {
    fn error(&mut self, path: &str, message: impl Into<String>) {
        let position = self.map.find(path);
        self.diagnostics
            .push(Diagnostic::error(&self.file, position, message));
    }

    fn compile(&mut self, def: FlowDef, locales_dir: &Path) -> Option<Flow> {
        if def.version > ENGINE_FLOW_VERSION {
            self.error("version", format!(
                "ce fichier est de version {}, mais ce programme ne connaît que la version {ENGINE_FLOW_VERSION} au plus. Mettez à jour le programme ou utilisez un flux de version {ENGINE_FLOW_VERSION}.",
                def.version
            ));
        }
        if def.version == 0 {
            self.error("version", "la version doit être 1 ou plus.");
        }
        if def.id.trim().is_empty() {
            self.error("id", "l'identifiant du flux (id) ne peut pas être vide.");
        }
        self.check_numbers(&def);
        let (catalogs, catalog_diagnostics) = Catalogs::load(locales_dir, &def.default_locale);
        self.diagnostics.extend(catalog_diagnostics);
        self.check_locales(&def, &catalogs);
        let commands = self.compile_commands(&def);
        let (yes, no) = self.compile_confirm(&def, &commands, &catalogs);
        let steps = self.compile_steps(&def, &catalogs);
        self.check_choices_against_commands(&def, &steps, &catalogs, &commands);
        let template = self.compile_template(&def);
        self.check_messages(&def, &steps, &catalogs);
        self.check_menus(&def, &catalogs);
        if self.diagnostics.iter().any(Diagnostic::is_error) {
            return None;
        }
        let canonical = serde_json::to_string(&def).expect("definitions serialize");
        let revision = hex::encode(&Sha256::digest(canonical.as_bytes())[..8]);
        let derivation = derivation_description(&def);
        Some(Flow {
            session_timeout_minutes: def.session_timeout_minutes,
            def,
            path: self.file.clone(),
            revision,
            derivation,
            steps,
            catalogs,
            template: Arc::new(template?),
            commands,
            yes,
            no,
        })
    }

    fn check_numbers(&mut self, def: &FlowDef) {
        if def.max_attempts == 0 {
            self.error("max_attempts", "max_attempts doit être au moins 1.");
        }
        if !(1..=1440).contains(&def.session_timeout_minutes) {
            self.error(
                "session_timeout_minutes",
                "session_timeout_minutes doit être entre 1 et 1440 (24 heures).",
            );
        }
        if !(1..=MAX_REPLY_CHARS).contains(&def.max_message_chars) {
            self.error(
                "max_message_chars",
                format!("max_message_chars doit être entre 1 et {MAX_REPLY_CHARS}."),
            );
        }
        if !(1..=32).contains(&def.ciu.hash.length) {
            self.error(
                "ciu.hash.length",
                "la longueur du hachage doit être entre 1 et 32 caractères (5 conseillé).",
            );
        }
    }

    fn check_locales(&mut self, def: &FlowDef, catalogs: &Catalogs) {
        if def.locales.is_empty() {
            self.error(
                "locales",
                "la liste des langues (locales) est vide : indiquez au moins fr.",
            );
        }
        if !def.locales.contains(&def.default_locale) {
            self.error(
                "default_locale",
                format!(
                    "la langue par défaut « {} » n'est pas dans la liste locales.",
                    def.default_locale
                ),
            );
        }
        let mut seen = HashSet::new();
        for (i, code) in def.locales.iter().enumerate() {
            if !seen.insert(code) {
                self.error(
                    &format!("locales[{i}]"),
                    format!("la langue « {code} » est listée deux fois."),
                );
            }
            if catalogs.get(code).is_none() {
                self.error(
                    &format!("locales[{i}]"),
                    format!(
                        "la langue « {code} » est listée mais le dossier {} n'existe pas. Créez-le (voir TRANSLATING.md) ou retirez la langue de la liste.",
                        catalogs.dir.join(code).display()
                    ),
                );
            }
        }
        for code in catalogs.codes() {
            if !def.locales.iter().any(|l| l == code) {
                self.diagnostics.push(Diagnostic::warning(
                    &catalogs.dir.join(code),
                    None,
                    format!("la langue « {code} » a des traductions mais n'est pas dans locales : elle n'est pas proposée aux personnes. Ajoutez-la à locales dans {} quand elle est complète.", self.file.display()),
                ));
            }
        }
    }

    /// Checks that `aliases` only names listed languages and that the default language
    /// has at least one alias (it is the fallback shown in help texts).
    fn check_aliases(&mut self, path: &str, aliases: &Aliases, def: &FlowDef) {
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

    /// Commands by language: a person's own language and the reference language are
    /// active, so "Rudi" (Swahili for back) stays a first name for a French speaker.
    fn compile_commands(&mut self, def: &FlowDef) -> HashMap<String, HashMap<String, Command>> {
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

    fn compile_confirm(
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

    fn compile_steps(&mut self, def: &FlowDef, catalogs: &Catalogs) -> Vec<CompiledStep> {
        if def.steps.is_empty() {
            self.error("steps", "le flux n'a aucune question (steps est vide).");
        }
        let mut seen: HashMap<&str, usize> = HashMap::new();
        let mut steps = Vec::new();
        for (i, step) in def.steps.iter().enumerate() {
            let path = format!("steps[{i}]");
            if let Some(first) = seen.insert(step.id.as_str(), i) {
                self.error(
                    &format!("{path}.id"),
                    format!("l'identifiant « {} » est déjà utilisé par la question {} ; chaque question doit avoir un id unique.", step.id, first + 1),
                );
            }
            let valid_name = step
                .id
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_lowercase())
                && step
                    .id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !valid_name || step.id == "hash" {
                self.error(
                    &format!("{path}.id"),
                    format!("« {} » ne peut pas servir d'id : utilisez des minuscules, chiffres et _ (ex. birth_year), et pas « hash ».", step.id),
                );
            }
            if let Some(validator) = self.compile_validator(&path, step, def, catalogs) {
                self.check_extract(&path, step);
                steps.push(CompiledStep {
                    def: step.clone(),
                    validator,
                });
            }
        }
        steps
    }

    fn compile_validator(
        &mut self,
        path: &str,
        step: &StepDef,
        def: &FlowDef,
        catalogs: &Catalogs,
    ) -> Option<Validator> {
        let vpath = format!("{path}.validate");
        Some(match &step.validate {
            ValidateDef::Year { min, max } => {
                let year = chrono::Datelike::year(&chrono::Utc::now()) as i64;
                if min.resolve(year) > max.resolve(year) {
                    self.error(&vpath, "min est plus grand que max.");
                }
                Validator::Year {
                    min: min.clone(),
                    max: max.clone(),
                }
            }
            ValidateDef::DayOfMonth {} => Validator::DayOfMonth,
            ValidateDef::Integer { min, max } => {
                if min > max {
                    self.error(&vpath, "min est plus grand que max.");
                }
                if *min < 0 {
                    self.error(
                        &format!("{vpath}.min"),
                        "les nombres négatifs ne sont pas pris en charge.",
                    );
                }
                Validator::Integer {
                    min: *min,
                    max: *max,
                }
            }
            ValidateDef::Text {
                letters_min,
                max_len,
            } => {
                if letters_min > max_len || *max_len == 0 {
                    self.error(
                        &vpath,
                        "letters_min doit être plus petit que max_len, et max_len au moins 1.",
                    );
                }
                Validator::Text {
                    letters_min: *letters_min,
                    max_len: *max_len,
                }
            }
            ValidateDef::Regex { pattern, max_len } => {
                match Regex::new(&format!("^(?:{pattern})$")) {
                    Ok(regex) => Validator::Regex {
                        regex,
                        max_len: *max_len,
                    },
                    Err(e) => {
                        let detail = e.to_string();
                        let detail = detail.lines().last().unwrap_or_default().trim().to_owned();
                        self.error(
                            &format!("{vpath}.pattern"),
                            format!("l'expression régulière « {pattern} » est invalide ({detail}). Vérifiez les parenthèses et crochets."),
                        );
                        return None;
                    }
                }
            }
            ValidateDef::Choice { options } => {
                self.check_choice(&vpath, options, def, catalogs);
                let options: Vec<ChoiceOption> = options
                    .iter()
                    .map(|o| ChoiceOption {
                        value: o.value.clone(),
                        label: o.label.clone(),
                    })
                    .collect();
                let lookup = choice_lookup(&options, |o| {
                    def.locales
                        .iter()
                        .filter(|l| catalogs.get(l).is_some_and(|c| c.has(&o.label)))
                        .map(|l| catalogs.format(l, &o.label, None))
                        .collect()
                });
                Validator::Choice { options, lookup }
            }
        })
    }

    fn check_choice(
        &mut self,
        path: &str,
        options: &[ChoiceOptionDef],
        def: &FlowDef,
        catalogs: &Catalogs,
    ) {
        if options.len() < 2 {
            self.error(
                &format!("{path}.options"),
                "une question à choix a besoin d'au moins 2 options.",
            );
        }
        if options.len() > MAX_LIST_ROWS {
            self.error(
                &format!("{path}.options"),
                format!("{} options : WhatsApp ne peut pas en montrer plus de {MAX_LIST_ROWS} dans une liste. Réduisez la liste ou découpez la question.", options.len()),
            );
        }
        let title_limit = if options.len() <= MAX_BUTTONS {
            MAX_BUTTON_TITLE
        } else {
            MAX_ROW_TITLE
        };
        let mut values = HashSet::new();
        for (i, option) in options.iter().enumerate() {
            let opath = format!("{path}.options[{i}]");
            let normalized = normalize_words(&option.value);
            if normalized.is_empty() || option.value.len() > 64 {
                self.error(&format!("{opath}.value"), "la valeur d'une option doit contenir des lettres ou chiffres (64 caractères au plus).");
            } else if normalized.bytes().all(|b| b.is_ascii_digit()) {
                self.error(&format!("{opath}.value"), "la valeur d'une option ne peut pas être un nombre : les personnes répondent par numéro (1, 2, ...). Utilisez un mot, ex. H, F.");
            }
            if !values.insert(normalized) {
                self.error(
                    &format!("{opath}.value"),
                    format!(
                        "la valeur « {} » est déjà utilisée par une autre option.",
                        option.value
                    ),
                );
            }
            for lang in &def.locales {
                let Some(catalog) = catalogs.get(lang) else {
                    continue;
                };
                if !catalog.has(&option.label) {
                    continue; // reported with the other missing messages
                }
                let title = catalogs.format(lang, &option.label, None);
                let length = title.chars().count();
                if length > title_limit {
                    let info = &catalog.messages[&option.label];
                    let kind = if title_limit == MAX_BUTTON_TITLE {
                        "un bouton"
                    } else {
                        "une ligne de liste"
                    };
                    self.diagnostics.push(Diagnostic::error(
                        &info.file,
                        info.position,
                        format!("le libellé « {title} » ({lang}) a {length} caractères ; WhatsApp n'en montre que {title_limit} sur {kind}. Raccourcissez-le."),
                    ));
                }
            }
        }
    }

    fn check_extract(&mut self, path: &str, step: &StepDef) {
        let epath = format!("{path}.extract");
        let numeric = matches!(
            step.validate,
            ValidateDef::Year { .. } | ValidateDef::DayOfMonth {} | ValidateDef::Integer { .. }
        );
        let ok = match &step.extract {
            ExtractDef::FirstLetters { count, pad } => {
                if !pad.is_ascii_alphanumeric() {
                    self.error(
                        &format!("{epath}.pad"),
                        "le caractère de remplissage doit être une lettre ou un chiffre (ex. X).",
                    );
                }
                (1..=20).contains(count) && !numeric
            }
            ExtractDef::LastDigits { count } => (1..=20).contains(count) && numeric,
            ExtractDef::ZeroPad { width } => (1..=20).contains(width) && numeric,
            ExtractDef::Whole {} => true,
        };
        if !ok {
            self.error(
                &epath,
                "cette extraction ne va pas avec cette validation (ou count/width n'est pas entre 1 et 20) : first_letters pour du texte ou un choix ; last_digits et zero_pad pour une année, un jour ou un nombre ; whole pour tout.",
            );
        }
    }

    fn compile_template(&mut self, def: &FlowDef) -> Option<CiuTemplate> {
        let template = match CiuTemplate::new(
            &def.ciu.template,
            def.ciu.hash.length,
            def.ciu.hash.alphabet,
        ) {
            Ok(t) => t,
            Err(e) => {
                self.error("ciu.template", format!("le modèle du CIU est mal écrit ({e}). Les variables s'écrivent {{{{ id_de_question }}}}."));
                return None;
            }
        };
        let step_ids: HashSet<&str> = def.steps.iter().map(|s| s.id.as_str()).collect();
        let mut unknown: Vec<String> = template
            .variables()
            .into_iter()
            .filter(|v| v != "hash" && !step_ids.contains(v.as_str()))
            .collect();
        unknown.sort();
        for name in unknown {
            self.error(
                "ciu.template",
                format!("le modèle utilise « {name} », qui n'est l'id d'aucune question. Ids possibles : {}, hash.", def.steps.iter().map(|s| s.id.as_str()).collect::<Vec<_>>().join(", ")),
            );
        }
        let sample_hash: String = "ABCDEFABCDEFABCDEFABCDEFABCDEFAB"
            .chars()
            .take(def.ciu.hash.length)
            .collect();
        let sample: std::collections::BTreeMap<String, String> = def
            .steps
            .iter()
            .map(|s| (s.id.clone(), "W".into()))
            .collect();
        match template.render(&sample, &sample_hash) {
            Ok(code) if code.contains(&sample_hash) => {}
            Ok(_) => self.error("ciu.template", "le modèle doit afficher {{ hash }} tel quel (sans filtre ni condition) : sans lui, deux personnes aux mêmes lettres auraient le même code."),
            // Unknown variables were reported above.
            Err(_) if !template.variables().iter().all(|v| v == "hash" || step_ids.contains(v.as_str())) => {}
            Err(e) => self.error("ciu.template", format!("le modèle ne peut pas être rendu ({e}).")),
        }
        Some(template)
    }

    /// Every message the flow can send exists in every listed language, uses only the
    /// variables it is given, and fits in one WhatsApp message.
    fn check_messages(&mut self, def: &FlowDef, steps: &[CompiledStep], catalogs: &Catalogs) {
        // (message id, variables it may use, flow path that requires it)
        let mut required: Vec<(String, &[&str], Option<String>)> = FIXED_MESSAGES
            .iter()
            .map(|(id, vars)| (id.to_string(), *vars, None))
            .collect();
        for (i, step) in steps.iter().enumerate() {
            let path = format!("steps[{i}]");
            required.push((
                step.def.prompt.clone(),
                &["number", "total"],
                Some(format!("{path}.prompt")),
            ));
            required.push((step.def.label.clone(), &[], Some(format!("{path}.label"))));
            if let Some(error) = &step.def.error {
                // A custom refusal gets the validator's own numbers, nothing else.
                let allowed: &[&str] = match &step.validator {
                    Validator::Year { .. } | Validator::Integer { .. } | Validator::Text { .. } => {
                        &["min", "max"]
                    }
                    Validator::Regex { .. } => &["max"],
                    Validator::Choice { .. } => &["count"],
                    Validator::DayOfMonth => &[],
                };
                required.push((error.clone(), allowed, Some(format!("{path}.error"))));
            }
            if let Validator::Choice { options, .. } = &step.validator {
                for (j, o) in options.iter().enumerate() {
                    required.push((
                        o.label.clone(),
                        &[],
                        Some(format!("{path}.validate.options[{j}].label")),
                    ));
                }
            }
        }
        let reference = catalogs.get(&def.default_locale);
        for lang in &def.locales {
            let Some(catalog) = catalogs.get(lang) else {
                continue;
            };
            for (id, allowed, flow_path) in &required {
                let Some(info) = catalog.messages.get(id) else {
                    let message = format!(
                        "le message « {id} » manque dans la langue {lang} ({}). Ajoutez-le dans un fichier .ftl de ce dossier.",
                        catalog.dir.display()
                    );
                    match flow_path {
                        Some(p) => self.error(p, message),
                        None => {
                            self.diagnostics
                                .push(Diagnostic::error(&catalog.dir, None, message))
                        }
                    }
                    continue;
                };
                for var in &info.variables {
                    if !allowed.contains(&var.as_str()) {
                        self.diagnostics.push(Diagnostic::error(
                            &info.file,
                            info.position,
                            format!(
                                "le message « {id} » utilise la variable {{ ${var} }} que le programme ne fournit pas. Variables possibles : {}.",
                                if allowed.is_empty() { "aucune".to_owned() } else { allowed.iter().map(|v| format!("${v}")).collect::<Vec<_>>().join(", ") }
                            ),
                        ));
                    }
                }
                let longest = worst_case_length(catalogs, lang, id, def);
                if longest > MAX_REPLY_CHARS {
                    self.diagnostics.push(Diagnostic::error(
                        &info.file,
                        info.position,
                        format!("le message « {id} » peut atteindre {longest} caractères ; un message WhatsApp en permet {MAX_REPLY_CHARS}. Raccourcissez-le."),
                    ));
                }
            }
            // Messages the reference language does not have are probably typos or leftovers.
            if let Some(reference) = reference {
                if lang != &def.default_locale {
                    for (id, info) in &catalog.messages {
                        if !reference.has(id) {
                            self.diagnostics.push(Diagnostic::warning(&info.file, info.position, format!("le message « {id} » n'existe pas dans la langue de référence ({}) ; il ne sera jamais utilisé.", def.default_locale)));
                        }
                    }
                }
            }
        }
        // Unlisted (in-progress) languages: report what is still missing, as warnings.
        for code in catalogs.codes() {
            if def.locales.iter().any(|l| l == code) {
                continue;
            }
            let catalog = catalogs.get(code).expect("listed code");
            let missing: Vec<&str> = required
                .iter()
                .map(|(id, ..)| id.as_str())
                .filter(|id| !catalog.has(id))
                .collect();
            if !missing.is_empty() {
                self.diagnostics.push(Diagnostic::warning(
                    &catalog.dir,
                    None,
                    format!(
                        "traduction incomplète : {} message(s) manquant(s) : {}.",
                        missing.len(),
                        missing.join(", ")
                    ),
                ));
            }
        }
        self.check_summary_length(def, steps, catalogs);
        self.check_label_lengths(def, steps, catalogs);
    }

    /// Question labels are the rows of the "which answer to correct?" list.
    fn check_label_lengths(&mut self, def: &FlowDef, steps: &[CompiledStep], catalogs: &Catalogs) {
        // Without the confirmation step there is no correction list to show them in.
        if !def.confirm.enabled() {
            return;
        }
        for lang in &def.locales {
            let Some(catalog) = catalogs.get(lang) else {
                continue;
            };
            for step in steps {
                let Some(info) = catalog.messages.get(&step.def.label) else {
                    continue;
                };
                let label = catalogs.format(lang, &step.def.label, None);
                let length = label.chars().count();
                if length > MAX_ROW_TITLE {
                    self.diagnostics.push(Diagnostic::error(
                        &info.file,
                        info.position,
                        format!("le libellé « {label} » ({lang}) a {length} caractères ; il apparaît dans la liste des réponses à corriger, où WhatsApp n'en montre que {MAX_ROW_TITLE}. Raccourcissez-le."),
                    ));
                }
            }
        }
    }

    /// An option that is also a command word would run the command instead of
    /// answering (a button "STOP" would stop the conversation).
    fn check_choices_against_commands(
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
            let Validator::Choice { options, .. } = &step.validator else {
                continue;
            };
            for (j, option) in options.iter().enumerate() {
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

    /// The menus the engine builds itself fit WhatsApp: the language menu is a list (one
    /// row per language), the confirmation two reply buttons, and the button opening a
    /// list has a short label.
    fn check_menus(&mut self, def: &FlowDef, catalogs: &Catalogs) {
        if def.locales.len() > MAX_LIST_ROWS {
            self.error(
                "locales",
                format!(
                    "{} langues : le menu des langues de WhatsApp n'en montre que {MAX_LIST_ROWS}. Retirez des langues de la liste locales.",
                    def.locales.len()
                ),
            );
        }
        let mut titles = vec![
            ("language-name", MAX_ROW_TITLE, "ligne du menu des langues"),
            (
                "list-button",
                MAX_BUTTON_TITLE,
                "bouton qui ouvre une liste",
            ),
        ];
        if def.confirm.enabled() {
            titles.push(("confirm-yes", MAX_BUTTON_TITLE, "bouton"));
            titles.push(("confirm-no", MAX_BUTTON_TITLE, "bouton"));
        }
        for lang in &def.locales {
            let Some(catalog) = catalogs.get(lang) else {
                continue;
            };
            for (id, limit, kind) in &titles {
                let Some(info) = catalog.messages.get(*id) else {
                    continue; // reported with the other missing messages
                };
                let title = catalogs.format(lang, id, None);
                let length = title.chars().count();
                if length > *limit {
                    self.diagnostics.push(Diagnostic::error(
                        &info.file,
                        info.position,
                        format!("le message « {id} » ({lang}) a {length} caractères ; WhatsApp n'en montre que {limit} sur un {kind}. Raccourcissez-le."),
                    ));
                }
            }
        }
    }

    /// The confirmation summary repeats every answer: check it with the longest answers.
    fn check_summary_length(&mut self, def: &FlowDef, steps: &[CompiledStep], catalogs: &Catalogs) {
        if !def.confirm.enabled() {
            return;
        }
        for lang in &def.locales {
            let Some(catalog) = catalogs.get(lang) else {
                continue;
            };
            let summary: String = steps
                .iter()
                .map(|s| {
                    let answer_len = match &s.validator {
                        Validator::Text { max_len, .. } | Validator::Regex { max_len, .. } => {
                            *max_len
                        }
                        Validator::Choice { .. } => MAX_ROW_TITLE,
                        _ => 4,
                    };
                    let mut line = fluent_bundle::FluentArgs::new();
                    line.set("label", catalogs.format(lang, &s.def.label, None));
                    line.set("answer", "W".repeat(answer_len));
                    catalogs.format(lang, "summary-line", Some(&line)) + "\n"
                })
                .collect();
            let mut args = fluent_bundle::FluentArgs::new();
            args.set("summary", summary);
            let length = catalogs
                .format(lang, "confirm-summary", Some(&args))
                .chars()
                .count();
            if length > MAX_REPLY_CHARS {
                let info = catalog.messages.get("confirm-summary");
                self.diagnostics.push(Diagnostic::error(
                    info.map_or(&catalog.dir, |i| &i.file),
                    info.and_then(|i| i.position),
                    format!("avec les réponses les plus longues, le résumé ({lang}) atteint {length} caractères (maximum {MAX_REPLY_CHARS}). Réduisez max_len des questions ou raccourcissez les libellés."),
                ));
            }
        }
    }
}

/// Formats a message with long stand-ins for every variable.
fn worst_case_length(catalogs: &Catalogs, lang: &str, id: &str, def: &FlowDef) -> usize {
    let mut args = fluent_bundle::FluentArgs::new();
    for name in ["number", "total", "min", "max", "count", "minutes"] {
        args.set(name, 9999);
    }
    let longest_alias = 24;
    for name in ["restart", "help", "language", "back", "stop"] {
        args.set(name, "W".repeat(longest_alias));
    }
    args.set(
        "code",
        "W".repeat(def.ciu.template.len() + def.ciu.hash.length + 6),
    );
    args.set("summary", "");
    args.set("label", "W".repeat(MAX_ROW_TITLE));
    args.set("answer", "W".repeat(def.max_message_chars));
    catalogs.format(lang, id, Some(&args)).chars().count()
}

/// What decides the codes, in a stable text form (for the derivation fingerprint).
fn derivation_description(def: &FlowDef) -> String {
    let steps: Vec<_> = def
        .steps
        .iter()
        .map(|s| serde_json::json!({ "id": s.id, "validate": s.validate, "extract": s.extract }))
        .collect();
    serde_json::json!({
        "engine": "ciu-derivation-v1",
        "flow": def.id,
        "steps": steps,
        "template": def.ciu.template,
        "hash": def.ciu.hash,
    })
    .to_string()
}

/// Position of a flow path (for callers that report on a loaded flow).
pub fn position_of(source: &str, path: &str) -> Option<Position> {
    SourceMap::build(source).find(path)
}
