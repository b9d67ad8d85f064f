//! The code itself: keyed hash, person key, collision candidates and the fingerprint of
//! the derivation (SPEC §4). Pure functions over normalized answers and the salt.

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
    /// The guide's wording (section 1.12.2), so deployers find the fix in the guide.
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

    /// Names the template uses that are not defined inside it.
    pub fn variables(&self) -> std::collections::HashSet<String> {
        self.env
            .get_template(Self::NAME)
            .map(|t| t.undeclared_variables(false))
            .unwrap_or_default()
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
                NearKey { left_out, digest }
            })
            .collect()
    }
}

/// Something in the code template that could hide a step's fragment or the hash for
/// some answers. `line` and `column` count from 1 in the template text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateProblem {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// A code template may hold only text and plain `{{ name }}` placeholders: a condition,
/// a loop or a filter could drop or change a fragment or the hash for some answers, which
/// no sample rendering shows. Walks minijinja's own parse of the template; a template
/// that does not parse is reported by [`CiuTemplate::new`].
pub fn template_problems(source: &str) -> Vec<TemplateProblem> {
    use minijinja::machinery::{ast, parse, WhitespaceConfig};
    let Ok(ast::Stmt::Template(root)) = parse(
        source,
        CiuTemplate::NAME,
        Default::default(),
        WhitespaceConfig::default(),
    ) else {
        return Vec::new();
    };
    let problem = |span: minijinja::machinery::Span, message: String| TemplateProblem {
        line: span.start_line as usize,
        column: span.start_col as usize + 1,
        message,
    };
    let mut problems = Vec::new();
    for child in &root.children {
        match child {
            ast::Stmt::EmitRaw(_) => {}
            ast::Stmt::EmitExpr(emit) => match &emit.expr {
                ast::Expr::Var(_) => {}
                ast::Expr::Filter(filter) => problems.push(problem(
                    filter.span(),
                    format!("le filtre « | {} » peut changer ou effacer une partie du code selon les réponses : écrivez seulement {{{{ id_de_question }}}} ou {{{{ hash }}}}.", filter.name),
                )),
                other => problems.push(problem(
                    emit.span(),
                    format!("une expression ({}) peut changer une partie du code selon les réponses : écrivez seulement {{{{ id_de_question }}}} ou {{{{ hash }}}}.", other.description()),
                )),
            },
            other => problems.push(problem(
                statement_span(other),
                format!("{} peut cacher une question ou le hachage pour certaines réponses : le modèle ne contient que du texte et des {{{{ id_de_question }}}} / {{{{ hash }}}}.", statement_name(other)),
            )),
        }
    }
    problems
}

fn statement_name(stmt: &minijinja::machinery::ast::Stmt) -> &'static str {
    use minijinja::machinery::ast::Stmt;
    match stmt {
        Stmt::IfCond(_) => "une condition {% if %}",
        Stmt::ForLoop(_) => "une boucle {% for %}",
        Stmt::Set(_) | Stmt::SetBlock(_) => "une affectation {% set %}",
        Stmt::FilterBlock(_) => "un bloc {% filter %}",
        _ => "une instruction {% … %}",
    }
}

fn statement_span(stmt: &minijinja::machinery::ast::Stmt) -> minijinja::machinery::Span {
    use minijinja::machinery::ast::Stmt;
    match stmt {
        Stmt::IfCond(s) => s.span(),
        Stmt::ForLoop(s) => s.span(),
        Stmt::Set(s) => s.span(),
        Stmt::SetBlock(s) => s.span(),
        Stmt::FilterBlock(s) => s.span(),
        Stmt::WithBlock(s) => s.span(),
        Stmt::AutoEscape(s) => s.span(),
        Stmt::Do(s) => s.span(),
        Stmt::Template(s) => s.span(),
        Stmt::EmitExpr(s) => s.span(),
        Stmt::EmitRaw(s) => s.span(),
        #[allow(unreachable_patterns)]
        _ => minijinja::machinery::Span::default(),
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

    #[test]
    fn templates_with_conditions_loops_or_filters_are_refused() {
        let guide = "{{ birth_year }}-{{ mother_birthplace }}-{{ birth_day }}-{{ first_name }}-{{ last_name }}-{{ hash }}";
        assert_eq!(template_problems(guide), vec![]);
        let with_if = "{{ birth_year }}-{% if last_name %}{{ last_name }}{% endif %}-{{ hash }}";
        let problems = template_problems(with_if);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].message.contains("{% if %}"));
        assert_eq!(
            (problems[0].line, problems[0].column),
            (1, 21),
            "at the `if`"
        );
        let filtered = template_problems("{{ last_name | lower }}-\n{{ hash }}");
        assert_eq!(filtered.len(), 1);
        assert!(filtered[0].message.contains("| lower"));
        let hidden_hash = template_problems("{{ birth_year }}\n{{ hash[:2] }}");
        assert_eq!(hidden_hash.len(), 1);
        assert_eq!(hidden_hash[0].line, 2);
        assert!(!template_problems("{% for x in [1] %}{{ hash }}{% endfor %}").is_empty());
        assert!(!template_problems("{% set h = hash %}{{ h }}").is_empty());
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
