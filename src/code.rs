//! The code itself: keyed hash, person key, collision candidates and the fingerprint of
//! the derivation. Pure functions over normalized answers and the salt.

use hmac::{Hmac, Mac};
use rand::distributions::{Alphanumeric, DistString};
use sha2::Sha256;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::flow::definition::HashAlphabet;

type HmacSha256 = Hmac<Sha256>;

/// The secret `UIC_SALT`. Never printed: `Debug` shows a placeholder.
#[derive(Clone)]
pub struct Salt(Arc<str>);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SaltError {
    /// The deployment guide's wording (docs/fr/guide-de-deploiement.md), so deployers find the fix there.
    #[error("Configuration error: UIC salt must be at least 16 characters")]
    TooShort,
    #[error("Configuration error: UIC salt must mix character types (lower case, upper case, digits, symbols: at least three kinds); generate one with `ciu salt`")]
    TooSimple,
}

impl Salt {
    pub const MIN_LEN: usize = 16;

    /// Accepts a production salt: at least 16 characters of at least three kinds.
    pub fn new(value: &str) -> Result<Salt, SaltError> {
        let value = value.trim();
        if value.chars().count() < Self::MIN_LEN {
            return Err(SaltError::TooShort);
        }
        let kinds = [
            value.chars().any(|c| c.is_lowercase()),
            value.chars().any(|c| c.is_uppercase()),
            value.chars().any(|c| c.is_ascii_digit()),
            value.chars().any(|c| !c.is_alphanumeric()),
        ];
        if kinds.iter().filter(|k| **k).count() < 3 {
            return Err(SaltError::TooSimple);
        }
        Ok(Salt(value.into()))
    }

    /// Whether `value` is this salt (compared in constant time), so that no other
    /// secret is set to it.
    pub fn is(&self, value: &str) -> bool {
        use subtle::ConstantTimeEq;
        self.0.as_bytes().ct_eq(value.trim().as_bytes()).into()
    }

    /// A fresh random salt of 43 characters (letters and digits, ~256 bits).
    pub fn generate() -> String {
        loop {
            let candidate = Alphanumeric.sample_string(&mut rand::thread_rng(), 43);
            if Salt::new(&candidate).is_ok() {
                return candidate;
            }
        }
    }

    fn mac(&self, domain: &[u8]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(self.0.as_bytes()).expect("HMAC takes any key");
        mac.update(domain);
        mac
    }

    /// A keyed digest for things that must be looked up without being readable
    /// (phone numbers stored as `hashed`), separated from the CIU domain.
    pub fn keyed_hex(&self, domain: &str, value: &str) -> String {
        let mut mac = self.mac(b"ciu/keyed/");
        mac.update(domain.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Key for encrypting data at rest (session state, stored replies).
    pub fn derive_key(&self, purpose: &str) -> [u8; 32] {
        let mut mac = self.mac(b"ciu/key/");
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

impl fmt::Debug for Salt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Salt([redacted])")
    }
}

/// Writes the answers in an unambiguous form: every field is length-prefixed, so
/// ("AB","C") and ("A","BC") never serialize alike.
fn absorb_answers(mac: &mut HmacSha256, flow_id: &str, answers: &[(&str, &str)]) {
    let field = |mac: &mut HmacSha256, bytes: &[u8]| {
        mac.update(&(bytes.len() as u32).to_be_bytes());
        mac.update(bytes);
    };
    field(mac, flow_id.as_bytes());
    mac.update(&(answers.len() as u32).to_be_bytes());
    for (step_id, value) in answers {
        field(mac, step_id.as_bytes());
        field(mac, value.as_bytes());
    }
}

/// The compiled CIU template, shared by every request.
pub struct CiuTemplate {
    env: minijinja::Environment<'static>,
    pub hash_length: usize,
    pub alphabet: HashAlphabet,
}

impl CiuTemplate {
    pub const NAME: &'static str = "ciu";

    /// Compiles in strict mode: an unknown variable is an error, never a blank in a code.
    pub fn new(
        source: &str,
        hash_length: usize,
        alphabet: HashAlphabet,
    ) -> Result<Self, minijinja::Error> {
        let mut env = minijinja::Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
        env.add_template_owned(Self::NAME, source.to_owned())?;
        Ok(CiuTemplate {
            env,
            hash_length,
            alphabet,
        })
    }

    pub fn render(
        &self,
        fragments: &BTreeMap<String, String>,
        hash: &str,
    ) -> Result<String, minijinja::Error> {
        let mut ctx: BTreeMap<&str, &str> = fragments
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        ctx.insert("hash", hash);
        self.env.get_template(Self::NAME)?.render(ctx)
    }
}

/// Everything needed to register one person: their person key and, on demand, the
/// candidate codes (candidate 0 is the normal code; the next ones are used only when a
/// different person already holds the previous candidate).
pub struct CiuRequest {
    pub person_key: String,
    /// One keyed digest per answer left out (see [`NearKey`]); empty for flows of fewer
    /// than [`NearKey::MIN_ANSWERS`] answers.
    pub near_keys: Vec<NearKey>,
    fragments: BTreeMap<String, String>,
    code_mac: HmacSha256,
    template: Arc<CiuTemplate>,
}

impl fmt::Debug for CiuRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Fragments are derived from answers: keep them out of any debug output.
        f.debug_struct("CiuRequest")
            .field("person_key", &self.person_key)
            .finish_non_exhaustive()
    }
}

impl CiuRequest {
    /// `answers` are (step id, normalized full answer) in flow order; `fragments` are
    /// the extracted parts by step id.
    pub fn new(
        salt: &Salt,
        template: Arc<CiuTemplate>,
        flow_id: &str,
        answers: &[(&str, &str)],
        fragments: BTreeMap<String, String>,
    ) -> Self {
        let mut person = salt.mac(b"ciu/person/v1");
        absorb_answers(&mut person, flow_id, answers);
        let mut code_mac = salt.mac(b"ciu/code/v1");
        absorb_answers(&mut code_mac, flow_id, answers);
        CiuRequest {
            person_key: hex::encode(person.finalize().into_bytes()),
            near_keys: NearKey::all(salt, flow_id, answers),
            fragments,
            code_mac,
            template,
        }
    }

    /// Candidate code number `n` (0 is the person's normal code).
    pub fn candidate(&self, n: u32) -> String {
        let mut mac = self.code_mac.clone();
        if n > 0 {
            mac.update(b"/collision/");
            mac.update(&n.to_be_bytes());
        }
        let digest = mac.finalize().into_bytes();
        let hash = encode_symbols(
            &digest,
            self.template.alphabet.symbols(),
            self.template.hash_length,
        );
        self.template
            .render(&self.fragments, &hash)
            .expect("the template was checked at load time against every step id")
    }
}

/// A keyed digest of a person's answers with one of them left out. Two records with the
/// same near key agree on every answer but that one: a possible duplicate (a slip such as
/// Kabika for Kabila) for the data manager to look at. Like the person key it reveals no
/// answer without the salt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NearKey {
    /// Index (in flow order) of the answer left out.
    pub left_out: usize,
    /// Id of the step whose answer is left out (the `differing_step` of a pair).
    pub step: String,
    pub digest: [u8; 16],
}

impl NearKey {
    /// With two answers, "all but one" would be a single answer: far too many pairs.
    pub const MIN_ANSWERS: usize = 3;

    fn all(salt: &Salt, flow_id: &str, answers: &[(&str, &str)]) -> Vec<NearKey> {
        if answers.len() < Self::MIN_ANSWERS {
            return Vec::new();
        }
        (0..answers.len())
            .map(|left_out| {
                let kept: Vec<(&str, &str)> = answers
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != left_out)
                    .map(|(_, a)| *a)
                    .collect();
                let mut mac = salt.mac(b"ciu/near/v1");
                // The left-out step is part of the key: only records missing the same
                // answer are compared.
                mac.update(answers[left_out].0.as_bytes());
                mac.update(&[0]);
                absorb_answers(&mut mac, flow_id, &kept);
                let mut digest = [0u8; 16];
                digest.copy_from_slice(&mac.finalize().into_bytes()[..16]);
                NearKey {
                    left_out,
                    step: answers[left_out].0.to_owned(),
                    digest,
                }
            })
            .collect()
    }
}

/// Something in the code template that could hide a step's fragment or the hash for
/// some answers. `line` and `column` count from 1 in the template text; `message` is a
/// French sentence saying what is wrong and what to write instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateProblem {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

const ONLY_PLACEHOLDERS: &str =
    "écrivez seulement du texte et des {{ variable }} (l'id d'une question, ou hash)";

impl CiuTemplate {
    /// The template may hold only text and plain `{{ name }}` placeholders naming a step
    /// or `hash`, and must show `{{ hash }}`: a condition, a loop, a filter or a slice
    /// could drop or change a fragment or the hash for some answers, which no sample
    /// rendering shows. Walks minijinja's own parse of the template, and asks minijinja
    /// which names it reads (`undeclared_variables`), wherever they are.
    pub fn problems(&self, step_ids: &[&str]) -> Vec<TemplateProblem> {
        use minijinja::machinery::{ast, parse, WhitespaceConfig};
        let Ok(template) = self.env.get_template(Self::NAME) else {
            return Vec::new();
        };
        let source = template.source();
        let Ok(ast::Stmt::Template(root)) = parse(
            source,
            Self::NAME,
            Default::default(),
            WhitespaceConfig::default(),
        ) else {
            return Vec::new();
        };
        let place = Place {
            source,
            several_lines: source.contains('\n'),
        };
        let mut problems = Vec::new();
        let mut shown: Vec<&str> = Vec::new();
        let mut touched_hash = false;
        for child in &root.children {
            match child {
                ast::Stmt::EmitRaw(_) => {}
                ast::Stmt::EmitExpr(emit) => match &emit.expr {
                    ast::Expr::Var(var) => shown.push(var.id),
                    other => {
                        // `{{ hash[:2] }}`: reported here, not also as a missing hash.
                        if placeholder_under(other) == Some("hash") {
                            touched_hash = true;
                        }
                        let at = place.at(emit.span());
                        problems.push(place.problem(emit.span(), expression_problem(other, &at)));
                    }
                },
                other => {
                    let (span, tag, why) = statement_problem(other, root.span());
                    let at = place.at(span);
                    let message = format!(
                        "{tag} dans le modèle du code ({at}) : {why} ; {ONLY_PLACEHOLDERS}."
                    );
                    problems.push(place.problem(span, message));
                }
            }
        }
        let read = template.undeclared_variables(false);
        let mut unknown: Vec<&str> = read
            .iter()
            .map(String::as_str)
            .chain(shown.iter().copied())
            .filter(|name| *name != "hash" && !step_ids.contains(name))
            .collect();
        unknown.sort_unstable();
        unknown.dedup();
        let ids = step_ids.join(", ");
        for name in unknown {
            // The wording CUSTOMIZING_QUESTIONS.md quotes: the name says where it is.
            let message = format!("le modèle utilise « {name} », qui n'est l'id d'aucune question. Ids possibles : {ids}, hash.");
            problems.push(place.problem(root.span(), message));
        }
        // Read only inside a refused construct: that construct is reported above.
        if !shown.contains(&"hash") && !touched_hash && !read.contains("hash") {
            problems.push(place.problem(root.span(), "le modèle du code n'affiche jamais {{ hash }} : sans lui, deux personnes aux mêmes lettres auraient le même code ; ajoutez {{ hash }} tel quel (par exemple à la fin : …-{{ hash }}).".into()));
        }
        problems
    }
}

type Span = minijinja::machinery::Span;

/// Says where a problem is in the template.
struct Place<'s> {
    source: &'s str,
    several_lines: bool,
}

impl Place<'_> {
    /// Line and column (from 1) of the `{{` or `{%` that opens the node at `span`
    /// (minijinja's span of a statement starts at its keyword).
    fn line_column(&self, span: Span) -> (usize, usize) {
        let start = (span.start_offset as usize).min(self.source.len());
        let start = self.source.get(..start).unwrap_or_default();
        let open = ["{{", "{%"]
            .iter()
            .filter_map(|tag| start.rfind(tag))
            .max()
            .filter(|open| {
                start[*open + 2..]
                    .trim_start_matches(['-', '+'])
                    .trim()
                    .is_empty()
            })
            .unwrap_or(start.len());
        let position = crate::diagnostics::Position::of_offset(self.source, open);
        (position.line, position.column.unwrap_or(1))
    }

    fn at(&self, span: Span) -> String {
        let (line, column) = self.line_column(span);
        if self.several_lines {
            format!("ligne {line}, caractère {column} du modèle")
        } else {
            format!("caractère {column} du modèle")
        }
    }

    fn problem(&self, span: Span, message: String) -> TemplateProblem {
        let (line, column) = self.line_column(span);
        TemplateProblem {
            line,
            column,
            message,
        }
    }
}

/// What is wrong with `{{ expr }}` when `expr` is not a plain name, and what to write;
/// `at` says where it is.
fn expression_problem(expr: &minijinja::machinery::ast::Expr, at: &str) -> String {
    use minijinja::machinery::ast::Expr;
    let (what, changes) = match expr {
        Expr::Filter(f) => (format!("le filtre « |{} »", f.name), "changer ou effacer"),
        Expr::Slice(_) => ("la découpe « [ : ] »".into(), "raccourcir ou vider"),
        Expr::GetAttr(a) => (format!("l'accès à l'attribut « .{} »", a.name), "cacher"),
        Expr::GetItem(_) => ("l'accès par index « [ ] »".into(), "cacher"),
        Expr::Test(t) => (format!("le test « is {} »", t.name), "remplacer"),
        Expr::Const(_) => {
            return format!("une constante entre {{{{ }}}} dans le modèle du code ({at}) : c'est du texte ; écrivez-le directement, hors des {{{{ }}}}.")
        }
        other => {
            return format!("une expression ({}) dans le modèle du code ({at}) : elle pourrait changer une partie du code selon les réponses ; {ONLY_PLACEHOLDERS}.", other.description())
        }
    };
    match placeholder_under(expr) {
        Some("hash") => format!("{what} sur {{{{ hash }}}} dans le modèle du code ({at}) : il pourrait {changes} le hachage, et deux personnes aux mêmes lettres auraient le même code ; écrivez {{{{ hash }}}} tel quel (sa longueur se règle dans ciu.hash.length)."),
        Some(name) => format!("{what} sur {{{{ {name} }}}} dans le modèle du code ({at}) : il pourrait {changes} cette réponse pour certaines personnes ; écrivez {{{{ {name} }}}} tel quel (la partie gardée de la réponse se règle dans extract de la question)."),
        None => format!("{what} dans le modèle du code ({at}) : il pourrait {changes} une partie du code selon les réponses ; {ONLY_PLACEHOLDERS}."),
    }
}

/// The name a filter, slice, lookup or test applies to, when it is a plain name.
fn placeholder_under<'a>(expr: &minijinja::machinery::ast::Expr<'a>) -> Option<&'a str> {
    use minijinja::machinery::ast::Expr;
    match expr {
        Expr::Var(v) => Some(v.id),
        Expr::Filter(f) => placeholder_under(f.expr.as_ref()?),
        Expr::Slice(s) => placeholder_under(&s.expr),
        Expr::GetAttr(a) => placeholder_under(&a.expr),
        Expr::GetItem(i) => placeholder_under(&i.expr),
        Expr::Test(t) => placeholder_under(&t.expr),
        _ => None,
    }
}

/// Where a `{% … %}` statement starts, its tag and why it is refused (`fallback`: the
/// template's start, for a statement without a span of its own).
fn statement_problem(
    stmt: &minijinja::machinery::ast::Stmt,
    fallback: Span,
) -> (Span, &'static str, &'static str) {
    use minijinja::machinery::ast::Stmt;
    const HIDES: &str = "une partie du code pourrait disparaître pour certaines réponses";
    const CHANGES: &str = "une partie du code pourrait changer selon les réponses";
    const SETS: &str =
        "une variable définie dans le modèle pourrait remplacer une réponse ou le hachage";
    const ELSEWHERE: &str = "le code dépendrait d'un autre modèle, que ce contrôle ne voit pas";
    match stmt {
        Stmt::IfCond(s) => (s.span(), "{% if %}", HIDES),
        Stmt::ForLoop(s) => (
            s.span(),
            "{% for %}",
            "une boucle pourrait répéter ou omettre une partie du code selon les réponses",
        ),
        Stmt::Set(s) => (s.span(), "{% set %}", SETS),
        Stmt::SetBlock(s) => (s.span(), "{% set %}", SETS),
        Stmt::FilterBlock(s) => (s.span(), "{% filter %}", CHANGES),
        Stmt::WithBlock(s) => (s.span(), "{% with %}", CHANGES),
        Stmt::AutoEscape(s) => (s.span(), "{% autoescape %}", CHANGES),
        Stmt::Do(s) => (s.span(), "{% do %}", CHANGES),
        Stmt::Macro(s) => (s.span(), "{% macro %}", HIDES),
        Stmt::CallBlock(s) => (s.span(), "{% call %}", HIDES),
        Stmt::Include(s) => (s.span(), "{% include %}", ELSEWHERE),
        Stmt::Import(s) => (s.span(), "{% import %}", ELSEWHERE),
        Stmt::FromImport(s) => (s.span(), "{% from … import %}", ELSEWHERE),
        Stmt::Extends(s) => (s.span(), "{% extends %}", ELSEWHERE),
        Stmt::Block(s) => (s.span(), "{% block %}", ELSEWHERE),
        // `break`/`continue` (only inside a loop) if a crate turns `loop_controls` on.
        #[allow(unreachable_patterns)]
        _ => (fallback, "{% … %}", CHANGES),
    }
}

/// Reads `len` symbols from the digest's bits; the alphabet size is a power of two.
fn encode_symbols(digest: &[u8], alphabet: &[u8], len: usize) -> String {
    let bits = alphabet.len().trailing_zeros() as usize;
    (0..len)
        .map(|i| {
            let mut value = 0usize;
            for b in i * bits..(i + 1) * bits {
                let byte = digest[(b / 8) % digest.len()];
                value = (value << 1) | ((byte >> (7 - b % 8)) & 1) as usize;
            }
            alphabet[value] as char
        })
        .collect()
}

/// A short keyed digest of everything that decides the codes (flow id, steps,
/// validators, extraction, template, hash settings, salt). Stored with the codes so a
/// change that would alter every future code is noticed. Keyed, so it reveals nothing
/// about the salt.
pub fn derivation_fingerprint(salt: &Salt, canonical_description: &str) -> String {
    let mut mac = salt.mac(b"ciu/fingerprint/v1");
    mac.update(canonical_description.as_bytes());
    hex::encode(&mac.finalize().into_bytes()[..8])
}

/// How many candidate codes are tried for one person before giving up.
pub const MAX_CANDIDATES: u32 = 16;

impl CiuRequest {
    /// The candidate codes in the order a registry tries them, each with its collision
    /// index: the normal code first, then the alternatives, [`MAX_CANDIDATES`] in all.
    /// Computed one at a time, so a registry that takes the first pays for one.
    pub fn candidates(&self) -> impl Iterator<Item = (u32, String)> + '_ {
        (0..MAX_CANDIDATES).map(|n| (n, self.candidate(n)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_salts_are_refused_with_the_guides_wording() {
        assert_eq!(Salt::new("short").unwrap_err(), SaltError::TooShort);
        assert_eq!(
            SaltError::TooShort.to_string(),
            "Configuration error: UIC salt must be at least 16 characters"
        );
        assert_eq!(
            Salt::new("aaaaaaaaaaaaaaaaaaaa").unwrap_err(),
            SaltError::TooSimple
        );
        assert!(Salt::new("xY9kL2mN4pQ6rS8tU0vW1xY3").is_ok());
    }

    #[test]
    fn generated_salts_are_accepted_and_differ() {
        let a = Salt::generate();
        let b = Salt::generate();
        assert_ne!(a, b);
        assert!(Salt::new(&a).is_ok());
        assert_eq!(a.len(), 43);
    }

    #[test]
    fn salt_never_prints() {
        let salt = Salt::new("xY9kL2mN4pQ6rS8tU0vW1xY3").unwrap();
        assert!(!format!("{salt:?}").contains("xY9k"));
    }

    #[test]
    fn field_boundaries_matter() {
        let salt = Salt::new("xY9kL2mN4pQ6rS8tU0vW1xY3").unwrap();
        let t = Arc::new(CiuTemplate::new("{{ hash }}", 8, HashAlphabet::Hex).unwrap());
        let a = CiuRequest::new(
            &salt,
            t.clone(),
            "f",
            &[("a", "AB"), ("b", "C")],
            BTreeMap::new(),
        );
        let b = CiuRequest::new(&salt, t, "f", &[("a", "A"), ("b", "BC")], BTreeMap::new());
        assert_ne!(a.person_key, b.person_key);
        assert_ne!(a.candidate(0), b.candidate(0));
    }

    /// The problems of `source` for the shipped steps (no line numbers: one-line sources).
    fn problems(source: &str) -> Vec<TemplateProblem> {
        let steps = [
            "birth_year",
            "mother_birthplace",
            "birth_day",
            "first_name",
            "last_name",
        ];
        CiuTemplate::new(source, 5, HashAlphabet::Hex)
            .unwrap()
            .problems(&steps)
    }

    #[test]
    fn templates_with_conditions_loops_or_filters_are_refused() {
        let guide = "{{ birth_year }}-{{ mother_birthplace }}-{{ birth_day }}-{{ first_name }}-{{ last_name }}-{{ hash }}";
        assert_eq!(problems(guide), vec![]);
        assert_eq!(
            problems("{{ birth_year }}-{{ hash }}"),
            vec![],
            "a step left out"
        );
        let with_if =
            problems("{{ birth_year }}-{% if last_name %}{{ last_name }}{% endif %}-{{ hash }}");
        assert_eq!(with_if.len(), 1, "{with_if:?}");
        assert!(with_if[0].message.contains("{% if %}"));
        assert!(with_if[0].message.contains("caractère 18 du modèle"));
        assert_eq!(
            (with_if[0].line, with_if[0].column),
            (1, 18),
            "at its `{{%`"
        );
        let hidden = problems("{% if last_name != \"KABI\" %}{{ hash }}{% endif %}");
        assert_eq!(
            hidden.len(),
            1,
            "the `if` alone, not also a missing hash: {hidden:?}"
        );
        let filtered = problems("{{ last_name | lower }}-\n{{ hash }}");
        assert_eq!(filtered.len(), 1);
        assert!(filtered[0].message.contains("|lower » sur {{ last_name }}"));
        let sliced = problems("{{ birth_year }}\n{{ hash[:2] }}");
        assert_eq!(sliced.len(), 1);
        assert_eq!(sliced[0].line, 2);
        assert!(sliced[0].message.contains("ligne 2"), "{sliced:?}");
        for refused in [
            "{% for x in [1] %}{{ hash }}{% endfor %}",
            "{% set h = hash %}{{ h }}",
            "{{ last_name.upper }}{{ hash }}",
            "{{ last_name[0] }}{{ hash }}",
            "{{ last_name is defined }}{{ hash }}",
            "{{ \"A\" }}{{ hash }}",
            "{{ birth_year ~ last_name }}{{ hash }}",
            "{% include \"x\" %}{{ hash }}",
            "{% macro m() %}{% endmacro %}{{ hash }}",
        ] {
            assert!(!problems(refused).is_empty(), "{refused}");
        }
        let missing = problems("{{ birth_year }}-{{ last_name }}");
        assert_eq!(missing.len(), 1);
        assert!(missing[0].message.contains("n'affiche jamais {{ hash }}"));
        let unknown = problems("{{ surname }}-{{ hash }}");
        assert!(unknown[0].message.contains("« surname »"), "{unknown:?}");
    }

    #[test]
    fn near_keys_match_exactly_when_one_answer_differs() {
        let salt = Salt::new("xY9kL2mN4pQ6rS8tU0vW1xY3").unwrap();
        let t = Arc::new(CiuTemplate::new("{{ hash }}", 5, HashAlphabet::Hex).unwrap());
        let request = |answers: &[(&str, &str)]| {
            CiuRequest::new(&salt, t.clone(), "ciu", answers, BTreeMap::new()).near_keys
        };
        let base = request(&[("year", "1985"), ("first", "JEAN"), ("last", "KABILA")]);
        let slip = request(&[("year", "1985"), ("first", "JEAN"), ("last", "KABIKA")]);
        let two_off = request(&[("year", "1985"), ("first", "JEANNE"), ("last", "KABIKA")]);
        assert_eq!(base.len(), 3);
        let shared = |a: &[NearKey], b: &[NearKey]| -> Vec<usize> {
            a.iter()
                .filter(|k| b.contains(k))
                .map(|k| k.left_out)
                .collect()
        };
        assert_eq!(
            shared(&base, &slip),
            vec![2],
            "only the family name differs"
        );
        assert!(shared(&base, &two_off).is_empty());
        // A value moved to another step is no match: the left-out step is in the key.
        let moved = request(&[("year", "1985"), ("first", "KABILA"), ("last", "JEAN")]);
        assert!(shared(&base, &moved).is_empty());
        assert!(request(&[("a", "X"), ("b", "Y")]).is_empty());
    }

    #[test]
    fn candidates_differ_and_use_the_alphabet() {
        let salt = Salt::new("xY9kL2mN4pQ6rS8tU0vW1xY3").unwrap();
        let t = Arc::new(CiuTemplate::new("{{ hash }}", 12, HashAlphabet::Base32).unwrap());
        let r = CiuRequest::new(&salt, t, "f", &[("a", "X")], BTreeMap::new());
        assert_ne!(r.candidate(0), r.candidate(1));
        assert_eq!(r.candidate(0), r.candidate(0));
        assert!(r
            .candidate(0)
            .bytes()
            .all(|c| HashAlphabet::Base32.symbols().contains(&c)));
    }
}
