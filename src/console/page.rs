//! The console's pages: minijinja templates of templates/console/ (autoescaped HTML),
//! and their words from the Fluent catalogs of templates/console/locales/<lang>/, French
//! first (the reference) and English. Both are built into the binary: the console needs
//! no file next to it.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use minijinja::{context, Environment, Value};
use std::collections::BTreeMap;

/// The console's languages, reference first.
pub const LANGUAGES: [&str; 2] = ["fr", "en"];

const TEMPLATES: &[(&str, &str)] = &[
    (
        "base.html",
        include_str!("../../templates/console/base.html"),
    ),
    (
        "login.html",
        include_str!("../../templates/console/login.html"),
    ),
    (
        "error.html",
        include_str!("../../templates/console/error.html"),
    ),
    (
        "dashboard.html",
        include_str!("../../templates/console/dashboard.html"),
    ),
    (
        "simulator.html",
        include_str!("../../templates/console/simulator.html"),
    ),
    (
        "export.html",
        include_str!("../../templates/console/export.html"),
    ),
    (
        "flow.html",
        include_str!("../../templates/console/flow.html"),
    ),
];

/// Each language's catalogs, one file per group of pages.
const CATALOGS: &[(&str, &str)] = &[
    (
        "fr",
        include_str!("../../templates/console/locales/fr/console.ftl"),
    ),
    (
        "en",
        include_str!("../../templates/console/locales/en/console.ftl"),
    ),
    (
        "fr",
        include_str!("../../templates/console/locales/fr/flow.ftl"),
    ),
    (
        "en",
        include_str!("../../templates/console/locales/en/flow.ftl"),
    ),
];

pub const STYLE_SHEET: &str = include_str!("../../templates/console/console.css");

pub struct Pages {
    env: Environment<'static>,
    bundles: BTreeMap<&'static str, FluentBundle<FluentResource>>,
    /// Every message without arguments, per language: the templates' `t`.
    words: BTreeMap<&'static str, BTreeMap<String, String>>,
}

/// What every page shows besides its own content.
pub struct Frame<'a> {
    pub lang: &'static str,
    /// The page's name (the current item of the menu).
    pub page: &'a str,
    /// The path shown, to come back to after changing language.
    pub here: &'a str,
    /// The signed-in session's form token; `None` on the sign-in page.
    pub csrf: Option<&'a str>,
    pub app_name: &'a str,
    pub app_version: &'a str,
}

impl Pages {
    pub fn new() -> Pages {
        let mut env = Environment::new();
        // `.html` templates are escaped by default; nothing is marked safe but the
        // charts, which are drawn here (src/console/chart.rs).
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("templates/console/{name}: {e}"));
        }
        let mut bundles = BTreeMap::new();
        let mut words = BTreeMap::new();
        for lang in LANGUAGES {
            let mut bundle =
                FluentBundle::new_concurrent(vec![lang.parse().expect("a language tag")]);
            bundle.set_use_isolating(false);
            let mut ids = Vec::new();
            for (_, source) in CATALOGS.iter().filter(|(l, _)| *l == lang) {
                let resource = FluentResource::try_new(source.to_string())
                    .unwrap_or_else(|(_, e)| panic!("templates/console/locales/{lang}: {e:?}"));
                ids.extend(resource.entries().filter_map(|entry| match entry {
                    fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_owned()),
                    _ => None,
                }));
                bundle
                    .add_resource(resource)
                    .unwrap_or_else(|e| panic!("templates/console/locales/{lang}: {e:?}"));
            }
            let plain: BTreeMap<String, String> = ids
                .into_iter()
                .map(|id| {
                    let text = format_message(&bundle, &id, None);
                    (id, text)
                })
                .collect();
            words.insert(lang, plain);
            bundles.insert(lang, bundle);
        }
        Pages {
            env,
            bundles,
            words,
        }
    }

    /// One message of the console's catalog, with arguments.
    pub fn text(&self, lang: &str, id: &str, args: Option<&FluentArgs>) -> String {
        let bundle = self.bundles.get(lang).unwrap_or(&self.bundles["fr"]);
        format_message(bundle, id, args)
    }

    /// Renders `template` with the frame's variables and the page's own.
    pub fn render(&self, template: &str, frame: &Frame, page: Value) -> Response {
        self.render_with_status(StatusCode::OK, template, frame, page)
    }

    pub fn render_with_status(
        &self,
        status: StatusCode,
        template: &str,
        frame: &Frame,
        page: Value,
    ) -> Response {
        let words = self.words.get(frame.lang).unwrap_or(&self.words["fr"]);
        let ctx = context! {
            lang => frame.lang,
            page => frame.page,
            here => frame.here,
            signed_in => frame.csrf.is_some(),
            csrf => frame.csrf,
            app_name => frame.app_name,
            app_version => frame.app_version,
            t => Value::from_serialize(words),
            ..page
        };
        let html = self.env.get_template(template).and_then(|t| t.render(ctx));
        match html {
            Ok(html) => {
                let mut response = (status, html).into_response();
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                );
                response
            }
            Err(e) => {
                tracing::error!(error = %e, template, "console page not rendered");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        }
    }
}

impl Default for Pages {
    fn default() -> Self {
        Pages::new()
    }
}

fn format_message(
    bundle: &FluentBundle<FluentResource>,
    id: &str,
    args: Option<&FluentArgs>,
) -> String {
    let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
        return id.to_owned();
    };
    let mut errors = Vec::new();
    bundle
        .format_pattern(pattern, args, &mut errors)
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses_and_both_languages_have_the_same_messages() {
        let pages = Pages::new();
        let fr: Vec<&String> = pages.words["fr"].keys().collect();
        let en: Vec<&String> = pages.words["en"].keys().collect();
        assert_eq!(
            fr, en,
            "templates/console/locales/fr and en must have the same ids"
        );
        assert!(fr.len() > 50);
    }

    #[test]
    fn every_word_a_template_uses_is_in_the_catalogs() {
        let pages = Pages::new();
        let used = regex::Regex::new(r#"t\[["']([a-z0-9-]+)["']\]"#).unwrap();
        for (name, source) in TEMPLATES {
            for found in used.captures_iter(source) {
                assert!(
                    pages.words["fr"].contains_key(&found[1]),
                    "templates/console/{name} uses `{}`, missing from the catalogs",
                    &found[1]
                );
            }
        }
    }
}
