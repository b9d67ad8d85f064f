//! `type: choice` — one of a few options, answered by number, by value or by the
//! option's label in any listed language; shown as WhatsApp buttons or a list.

use chrono::NaiveDate;
use std::collections::{HashMap, HashSet};

use super::*;
use crate::flow::load::menus::{MAX_BUTTONS, MAX_BUTTON_TITLE, MAX_LIST_ROWS, MAX_ROW_TITLE};
use crate::normalize::normalize_words;

#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    pub options: Vec<OptionDef>,
}

#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct OptionDef {
    /// Stable value (also the button id): what is hashed and extracted. A number is
    /// read too, so that the checker can say why it is refused ([`NUMBER_VALUE`]).
    #[serde(deserialize_with = "word_or_number")]
    pub value: String,
    /// Fluent message id of the option's label.
    pub label: String,
}

fn word_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Written {
        Word(String),
        Number(i64),
    }
    Ok(match <Written as serde::Deserialize>::deserialize(d)? {
        Written::Word(word) => word,
        Written::Number(number) => number.to_string(),
    })
}

pub const MESSAGES: Messages = Messages {
    ids: &["err-choice"],
    variables: &["count"],
};

#[derive(Debug)]
struct Compiled {
    options: Vec<ChoiceOption>,
    /// Normalized option value, label (in every language) or number → option index.
    lookup: HashMap<String, usize>,
}

impl ValidatorDefinition for Definition {
    fn compile(&self, cx: &mut Compile) -> Option<Box<dyn Validate>> {
        self.check_options(cx);
        let options: Vec<ChoiceOption> = self
            .options
            .iter()
            .map(|o| ChoiceOption {
                value: o.value.clone(),
                label: o.label.clone(),
            })
            .collect();
        let (def, catalogs) = (cx.def, cx.catalogs);
        let lookup = choice_lookup(&options, |o| {
            def.locales
                .iter()
                .filter(|l| catalogs.get(l).is_some_and(|c| c.has(&o.label)))
                .map(|l| catalogs.format(l, &o.label, None))
                .collect()
        });
        Some(Box::new(Compiled { options, lookup }))
    }

    fn describe(&self) -> String {
        let values: Vec<&str> = self.options.iter().map(|o| o.value.as_str()).collect();
        format!(
            "Un choix parmi : {} (réponse par numéro, par valeur ou par le libellé dans une des langues)",
            values.join(", ")
        )
    }
}

impl Definition {
    fn check_options(&self, cx: &mut Compile) {
        let count = self.options.len();
        if count < 2 {
            cx.error(
                ".options",
                "une question à choix a besoin d'au moins 2 options.",
            );
        }
        if count > MAX_LIST_ROWS {
            cx.error(".options", format!("{count} options : WhatsApp ne peut pas en montrer plus de {MAX_LIST_ROWS} dans une liste. Réduisez la liste ou découpez la question."));
        }
        let mut values = HashSet::new();
        for (i, option) in self.options.iter().enumerate() {
            let vpath = format!(".options[{i}].value");
            let normalized = normalize_words(&option.value);
            if normalized.is_empty() || option.value.len() > 64 {
                cx.error(&vpath, "la valeur d'une option doit contenir des lettres ou chiffres (64 caractères au plus).");
            } else if normalized.bytes().all(|b| b.is_ascii_digit()) {
                cx.error(&vpath, NUMBER_VALUE);
            }
            if !values.insert(normalized) {
                cx.error(
                    &vpath,
                    format!(
                        "la valeur « {} » est déjà utilisée par une autre option.",
                        option.value
                    ),
                );
            }
            self.check_title(cx, option);
        }
    }

    /// Each option's label fits the button or the list row WhatsApp shows it on.
    fn check_title(&self, cx: &mut Compile, option: &OptionDef) {
        let (limit, kind) = if self.options.len() <= MAX_BUTTONS {
            (MAX_BUTTON_TITLE, "un bouton")
        } else {
            (MAX_ROW_TITLE, "une ligne de liste")
        };
        for lang in &cx.def.locales {
            let Some(info) = cx
                .catalogs
                .get(lang)
                .and_then(|c| c.messages.get(&option.label))
            else {
                continue; // reported with the other missing messages
            };
            let title = cx.catalogs.format(lang, &option.label, None);
            let length = title.chars().count();
            if length > limit {
                let (file, position) = (info.file.clone(), info.position);
                cx.error_in(&file, position, format!("le libellé « {title} » ({lang}) a {length} caractères ; WhatsApp n'en montre que {limit} sur {kind}. Raccourcissez-le."));
            }
        }
    }
}

/// Given for `value: 1` and `value: "1"` alike: quoting a number does not help.
pub const NUMBER_VALUE: &str = "la valeur d'une option ne peut pas être un nombre, même entre guillemets : les personnes répondent déjà par numéro (1, 2, ...). Utilisez un mot ou une lettre, ex. value: H.";

impl Validate for Compiled {
    fn check(&self, raw: &str, _: NaiveDate) -> Result<Accepted, Rejection> {
        match self
            .lookup
            .get(&normalize_words(raw))
            .and_then(|i| self.options.get(*i))
        {
            Some(option) => Ok(Accepted {
                shown: option.value.clone(),
                normalized: option.value.clone(),
            }),
            None => Err(MESSAGES.refuse("err-choice", &[self.options.len() as i64])),
        }
    }

    fn answer_kind(&self) -> AnswerKind {
        AnswerKind::TEXT
    }

    fn choices(&self) -> &[ChoiceOption] {
        &self.options
    }

    fn longest_answer(&self) -> usize {
        MAX_ROW_TITLE
    }
}

/// Builds the lookup of a choice: by number (1-based), by value, by any label.
fn choice_lookup(
    options: &[ChoiceOption],
    labels_in_every_language: impl Fn(&ChoiceOption) -> Vec<String>,
) -> HashMap<String, usize> {
    let mut lookup = HashMap::new();
    for (i, option) in options.iter().enumerate() {
        for label in labels_in_every_language(option) {
            lookup.entry(normalize_words(&label)).or_insert(i);
        }
    }
    // Values and numbers win over labels: they are what buttons and menus send.
    for (i, option) in options.iter().enumerate() {
        lookup.insert(normalize_words(&option.value), i);
        lookup.insert((i + 1).to_string(), i);
    }
    lookup
}

#[cfg(test)]
mod tests {
    use super::testing::day;
    use super::*;

    #[test]
    fn choices_accept_number_value_and_label() {
        let options = vec![
            ChoiceOption {
                value: "H".into(),
                label: "opt-m".into(),
            },
            ChoiceOption {
                value: "F".into(),
                label: "opt-f".into(),
            },
        ];
        let lookup = choice_lookup(&options, |o| {
            if o.value == "H" {
                vec!["Homme".into(), "Mobali".into()]
            } else {
                vec!["Femme".into(), "Mwasi".into()]
            }
        });
        let v = Compiled { options, lookup };
        let today = day(2026, 6, 15);
        for (input, value) in [
            ("1", "H"),
            ("2", "F"),
            ("homme", "H"),
            ("MWASI", "F"),
            ("f", "F"),
        ] {
            assert_eq!(v.check(input, today).unwrap().normalized, value, "{input}");
        }
        assert_eq!(v.check("3", today).unwrap_err().args, vec![("count", 2)]);
    }

    #[test]
    fn described_in_plain_french() {
        let option = |value: &str| OptionDef {
            value: value.into(),
            label: format!("opt-{value}"),
        };
        let rule = Definition {
            options: vec![option("H"), option("F")],
        };
        assert_eq!(
            rule.describe(),
            "Un choix parmi : H, F (réponse par numéro, par valeur ou par le libellé dans une des langues)"
        );
    }
}
