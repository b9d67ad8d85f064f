//! Who may open the console: the password (`CONSOLE_PASSWORD`, else `ADMIN_TOKEN`),
//! sessions kept in the database by a digest of their token keyed by the password
//! (src/store/console.rs), so every `serve` on one database honours them and a new
//! password ends them all, a form token on every POST, failed sign-ins slowed down per
//! address and logged for fail2ban (deploy/fail2ban/).

use axum::extract::{ConnectInfo, Form, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, Utc};
use cookie::{Cookie, SameSite};
use hmac::{Hmac, Mac};
use minijinja::context;
use serde::Deserialize;
use sha2::Sha256;
use std::net::{IpAddr, SocketAddr};

use super::{Console, Frame};
use crate::http::AppState;

/// The session cookie; only sent to the console's paths.
const SESSION_COOKIE: &str = "ciu_console";
/// The sign-in form's token, compared with the form's hidden field.
const LOGIN_COOKIE: &str = "ciu_console_connexion";
const LANGUAGE_COOKIE: &str = "ciu_console_langue";
/// A session ends this long after signing in, whatever happens.
pub const SESSION_HOURS: i64 = 8;

/// A signed-in member of staff: the page's language and the session's form token.
pub struct Staff {
    pub lang: &'static str,
    pub csrf: String,
    token: String,
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let console = state
            .console
            .as_ref()
            .ok_or_else(|| StatusCode::NOT_FOUND.into_response())?;
        let lang = language(&parts.headers);
        let to_login = || Redirect::to("/console/connexion").into_response();
        let Some(token) = cookie_value(&parts.headers, SESSION_COOKIE) else {
            return Err(to_login());
        };
        match state
            .bot
            .store
            .console_session_valid(&console.session_digest(&token), Utc::now())
            .await
        {
            Ok(true) => Ok(Staff {
                lang,
                csrf: console.form_token(&token),
                token,
            }),
            Ok(false) => Err(to_login()),
            Err(e) => {
                tracing::error!(error = %e, "console: session not checked");
                Err(console.unavailable(lang))
            }
        }
    }
}

impl Staff {
    /// Whether a POSTed form carries this session's form token.
    pub fn form_is_ours(&self, given: &str) -> bool {
        use subtle::ConstantTimeEq;
        self.csrf.as_bytes().ct_eq(given.as_bytes()).into()
    }

    pub fn frame<'a>(&'a self, state: &'a AppState, page: &'a str, here: &'a str) -> Frame<'a> {
        Frame {
            lang: self.lang,
            page,
            here,
            csrf: Some(&self.csrf),
            app_name: &state.settings.app_name,
            app_version: &state.settings.app_version,
        }
    }
}

/// The key of the session digests, from the password alone: every `serve` with the
/// same password finds the same digests, and sessions opened under another password
/// are found by none.
pub(super) fn session_key(password: &crate::config::Secret) -> [u8; 32] {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(password.expose().as_bytes()).expect("HMAC takes any key");
    mac.update(b"ciu console sessions v1");
    mac.finalize().into_bytes().into()
}

impl Console {
    /// The digest under which a session is kept: reading `console_sessions` gives no
    /// token, and a changed password finds none of the old ones.
    pub fn session_digest(&self, session_token: &str) -> Vec<u8> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.session_key).expect("HMAC takes any key");
        mac.update(session_token.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    /// The form token of a session: a keyed digest of its token, so any `serve` sharing
    /// the salt finds the same one and nothing more is stored.
    pub fn form_token(&self, session_token: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.form_key).expect("HMAC takes any key");
        mac.update(session_token.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }
}

/// The console's language: the one chosen with the link at the top of every page
/// (a cookie), else French, the reference language, whatever the browser says.
pub fn language(headers: &HeaderMap) -> &'static str {
    cookie_value(headers, LANGUAGE_COOKIE)
        .and_then(|chosen| {
            super::page::LANGUAGES
                .iter()
                .find(|l| **l == chosen)
                .copied()
        })
        .unwrap_or(super::page::LANGUAGES[0])
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

/// A console cookie: HttpOnly, SameSite=Strict, only for /console, Secure when the
/// public address is https (`PUBLIC_BASE_URL`).
fn console_cookie(
    console: &Console,
    name: &'static str,
    value: String,
    max_age: Duration,
) -> HeaderValue {
    let cookie = Cookie::build((name, value))
        .path("/console")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(console.secure_cookies)
        .max_age(cookie::time::Duration::seconds(max_age.num_seconds()))
        .build();
    HeaderValue::from_str(&cookie.to_string()).expect("cookie values are ASCII")
}

fn random_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// GET /console/connexion: the sign-in form, with a fresh form token in a cookie.
pub async fn login_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(console) = &state.console else {
        return StatusCode::NOT_FOUND.into_response();
    };
    login_form(console, &state, language(&headers), StatusCode::OK, None)
}

fn login_form(
    console: &Console,
    state: &AppState,
    lang: &'static str,
    status: StatusCode,
    problem: Option<String>,
) -> Response {
    let form_token = random_token();
    let frame = Frame {
        lang,
        page: "login",
        here: "/console/connexion",
        csrf: None,
        app_name: &state.settings.app_name,
        app_version: &state.settings.app_version,
    };
    let mut response = console.pages.render_with_status(
        status,
        "login.html",
        &frame,
        context! { login_csrf => &form_token, problem => problem },
    );
    response.headers_mut().append(
        header::SET_COOKIE,
        console_cookie(console, LOGIN_COOKIE, form_token, Duration::hours(1)),
    );
    response
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

/// POST /console/connexion.
pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    connection: Option<axum::extract::Extension<ConnectInfo<SocketAddr>>>,
    Form(form): Form<LoginForm>,
) -> Response {
    let Some(console) = state.console.clone() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let lang = language(&headers);
    let address = client_address(&headers, connection.map(|c| c.0 .0));
    let problem = |id: &str| Some(console.pages.text(lang, id, None));
    // The form's token first: a POST sent by another site's page carries no SameSite
    // cookie, so it neither spends this address's tries nor gets a status that fail2ban
    // counts (401 and 429 only, deploy/fail2ban/filter.d/ciu-console.conf). Otherwise
    // any web page could have a member of staff's office banned.
    let form_cookie = cookie_value(&headers, LOGIN_COOKIE).unwrap_or_default();
    if form.csrf.is_empty() || form_cookie != form.csrf {
        return login_form(
            &console,
            &state,
            lang,
            StatusCode::FORBIDDEN,
            problem("login-expired-form"),
        );
    }
    if console
        .login_limiter
        .check_key(&limit_key(address))
        .is_err()
    {
        tracing::warn!(client = %masked(address), "console: sign-in refused, too many tries");
        return login_form(
            &console,
            &state,
            lang,
            StatusCode::TOO_MANY_REQUESTS,
            problem("login-too-many"),
        );
    }
    if !console.password.matches(&form.password) {
        // fail2ban reads nginx's log of this 401 (deploy/fail2ban/); this line says it
        // in the service's own log, without the password and with the address masked.
        tracing::warn!(client = %masked(address), "console: sign-in refused, wrong password");
        return login_form(
            &console,
            &state,
            lang,
            StatusCode::UNAUTHORIZED,
            problem("login-wrong"),
        );
    }
    let token = random_token();
    let now = Utc::now();
    let expires = now + Duration::hours(SESSION_HOURS);
    if let Err(e) = state
        .bot
        .store
        .open_console_session(&console.session_digest(&token), now, expires)
        .await
    {
        tracing::error!(error = %e, "console: session not opened");
        return console.unavailable(lang);
    }
    tracing::info!(client = %masked(address), "console: signed in");
    let mut response = Redirect::to("/console").into_response();
    let headers = response.headers_mut();
    headers.append(
        header::SET_COOKIE,
        console_cookie(
            &console,
            SESSION_COOKIE,
            token,
            Duration::hours(SESSION_HOURS),
        ),
    );
    headers.append(
        header::SET_COOKIE,
        console_cookie(&console, LOGIN_COOKIE, String::new(), Duration::zero()),
    );
    response
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    csrf: String,
}

/// POST /console/deconnexion: the session is erased from the database, the cookie
/// cleared.
pub async fn logout(
    State(state): State<AppState>,
    staff: Staff,
    Form(form): Form<TokenForm>,
) -> Response {
    let Some(console) = &state.console else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if !staff.form_is_ours(&form.csrf) {
        return console.form_refused(&staff);
    }
    let digest = console.session_digest(&staff.token);
    if let Err(e) = state.bot.store.close_console_session(&digest).await {
        tracing::error!(error = %e, "console: session not closed");
        return console.unavailable(staff.lang);
    }
    let mut response = Redirect::to("/console/connexion").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        console_cookie(console, SESSION_COOKIE, String::new(), Duration::zero()),
    );
    response
}

#[derive(Deserialize)]
pub struct LanguageChoice {
    lang: String,
    #[serde(default)]
    retour: String,
}

/// GET /console/langue?lang=en&retour=/console/flux: remembers the language and goes
/// back (only ever to a console page).
pub async fn choose_language(
    State(state): State<AppState>,
    axum::extract::Query(choice): axum::extract::Query<LanguageChoice>,
) -> Response {
    let Some(console) = &state.console else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let back = if choice.retour.starts_with("/console") && !choice.retour.starts_with("//") {
        choice.retour.as_str()
    } else {
        "/console"
    };
    let Some(lang) = super::page::LANGUAGES.iter().find(|l| **l == choice.lang) else {
        return Redirect::to(back).into_response();
    };
    let mut response = Redirect::to(back).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        console_cookie(
            console,
            LANGUAGE_COOKIE,
            lang.to_string(),
            Duration::days(365),
        ),
    );
    response
}

/// The browser's address: nginx's `X-Real-IP` when the request comes through it (from
/// this machine), else the connection's. Unknown when the server gives no peer: then no
/// header is believed, and all such requests share one count of tries.
fn client_address(headers: &HeaderMap, peer: Option<SocketAddr>) -> IpAddr {
    let Some(peer) = peer.map(|p| p.ip()) else {
        return IpAddr::from([0, 0, 0, 0]);
    };
    if !peer.is_loopback() {
        return peer;
    }
    headers
        .get("x-real-ip")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(peer)
}

/// Whose tries are counted together: an IPv6 client holds a whole /64, so its /64.
fn limit_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::from([s[0], s[1], s[2], s[3], 0, 0, 0, 0])
        }
    }
}

/// An address for the service's log: the last part hidden (fail2ban reads nginx's log,
/// which has it whole).
fn masked(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.x")
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}::x", s[0], s[1], s[2])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_masked_in_the_log() {
        assert_eq!(masked("203.0.113.45".parse().unwrap()), "203.0.113.x");
        assert_eq!(masked("2001:db8:1:2::9".parse().unwrap()), "2001:db8:1::x");
    }

    #[test]
    fn nginx_gives_the_address_only_from_this_machine() {
        let mut headers = HeaderMap::new();
        headers.insert("x-real-ip", HeaderValue::from_static("198.51.100.7"));
        let local = Some("127.0.0.1:5000".parse().unwrap());
        let remote = Some("192.0.2.1:5000".parse().unwrap());
        assert_eq!(
            client_address(&headers, local),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            client_address(&headers, remote),
            "192.0.2.1".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            client_address(&headers, None),
            "0.0.0.0".parse::<IpAddr>().unwrap(),
            "without a known peer the header is not believed"
        );
    }

    #[test]
    fn an_ipv6_client_is_counted_by_its_64() {
        let one: IpAddr = "2001:db8:1:2::9".parse().unwrap();
        let other: IpAddr = "2001:db8:1:2:ffff::1".parse().unwrap();
        let elsewhere: IpAddr = "2001:db8:1:3::9".parse().unwrap();
        assert_eq!(limit_key(one), limit_key(other));
        assert_ne!(limit_key(one), limit_key(elsewhere));
        let v4: IpAddr = "203.0.113.45".parse().unwrap();
        assert_eq!(limit_key(v4), v4);
    }
}
