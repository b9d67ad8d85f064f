//! The staff console: `/console` in `ciu serve`, for programme staff and data managers
//! who want to look rather than type. Server-rendered pages (templates/console/), French
//! first and English, usable without JavaScript; a dashboard read from the daily
//! counters (src/flow/funnel.rs, src/store/counters.rs), the flow as staff read it, a
//! simulator and the registry's CSV. It exists only when a password is set
//! (`CONSOLE_PASSWORD`, else `ADMIN_TOKEN`; src/config/production.rs).

mod auth;
pub mod chart;
mod dashboard;
mod export;
mod flow_view;
mod page;
mod simulator;

use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use minijinja::context;
use std::net::IpAddr;
use std::num::NonZeroU32;

pub use auth::Staff;
pub use page::{Frame, Pages};

use crate::code::Salt;
use crate::config::{is_https, Environment, SaltSource, Secret, Settings};
use crate::http::AppState;
use crate::simulate::DEVELOPMENT_SALT;

/// Sign-in tries per address and minute; more get 429 (and fail2ban bans repeated
/// failures, deploy/fail2ban/).
const SIGN_INS_PER_MINUTE: u32 = 5;

/// The salt the console's simulator and example code use: never `UIC_SALT`, so no
/// page turns a person's answers into their real code.
pub struct SimulationSalt {
    pub salt: Salt,
    /// True when the service itself runs on this installation's development salt
    /// (`.ciu-dev-salt`, no `UIC_SALT`): then it is also the salt of `ciu simulate` in
    /// the same folder, which gives the same transcripts, codes included.
    pub is_the_services: bool,
}

impl SimulationSalt {
    fn of(settings: &Settings) -> SimulationSalt {
        match settings.salt_source {
            SaltSource::DevelopmentFile { .. } => SimulationSalt {
                salt: settings.salt.clone(),
                is_the_services: true,
            },
            SaltSource::Configured => SimulationSalt {
                salt: Salt::new(DEVELOPMENT_SALT).expect("the development salt is valid"),
                is_the_services: false,
            },
        }
    }
}

/// What the console needs for its whole life.
pub struct Console {
    password: Secret,
    pub pages: Pages,
    /// Keys the form tokens (src/console/auth.rs); derived from the salt, so every
    /// `serve` on one database gives the same.
    form_key: [u8; 32],
    /// Keys the digests under which sessions are kept (src/console/auth.rs); derived
    /// from the password, so changing it ends every session.
    session_key: [u8; 32],
    secure_cookies: bool,
    /// The salt of the simulator and of the flow view's example code.
    pub simulation: SimulationSalt,
    login_limiter: DefaultKeyedRateLimiter<IpAddr>,
    /// For the footer of the pages said without a session (errors).
    app_name: String,
    app_version: String,
}

impl Console {
    /// The console of these settings, or `None` when no password opens it.
    pub fn from_settings(settings: &Settings, form_key: [u8; 32]) -> Option<Console> {
        let password = settings.console_password.clone()?;
        // Production is served over HTTPS (deploy/nginx/) whatever channels are on, and
        // PUBLIC_BASE_URL is only required by Twilio: either one makes cookies Secure.
        let secure_cookies = settings.environment == Environment::Production
            || settings.public_base_url.as_deref().is_some_and(is_https);
        let session_key = auth::session_key(&password);
        let simulation = SimulationSalt::of(settings);
        let quota = Quota::per_minute(NonZeroU32::new(SIGN_INS_PER_MINUTE).expect("not zero"));
        Some(Console {
            password,
            pages: Pages::new(),
            form_key,
            session_key,
            secure_cookies,
            simulation,
            login_limiter: RateLimiter::keyed(quota),
            app_name: settings.app_name.clone(),
            app_version: settings.app_version.clone(),
        })
    }

    /// Forgets the addresses that have not tried to sign in lately.
    pub fn forget_quiet_addresses(&self) {
        self.login_limiter.retain_recent();
    }

    /// The page said when the database does not answer (503).
    pub fn unavailable(&self, lang: &'static str) -> Response {
        self.problem_page(
            lang,
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            None,
            "/console",
        )
    }

    /// A POST without this session's form token (403).
    pub fn form_refused(&self, staff: &Staff) -> Response {
        tracing::warn!("console: form without its token refused");
        self.problem_page(
            staff.lang,
            StatusCode::FORBIDDEN,
            "csrf",
            Some(&staff.csrf),
            "/console",
        )
    }

    fn problem_page(
        &self,
        lang: &'static str,
        status: StatusCode,
        what: &str,
        csrf: Option<&str>,
        back: &str,
    ) -> Response {
        let frame = Frame {
            lang,
            page: "error",
            here: back,
            csrf,
            app_name: &self.app_name,
            app_version: &self.app_version,
        };
        let title = self.pages.text(lang, &format!("{what}-title"), None);
        let message = self.pages.text(lang, &format!("{what}-message"), None);
        self.pages.render_with_status(
            status,
            "error.html",
            &frame,
            context! { title => title, message => message, back => back },
        )
    }
}

/// The console's routes; none when it is not enabled.
pub fn routes(settings: &Settings) -> Router<AppState> {
    if settings.console_password.is_none() {
        return Router::new();
    }
    Router::new()
        .route("/console", get(dashboard::page))
        .route(
            "/console/connexion",
            get(auth::login_page).post(auth::login),
        )
        .route("/console/deconnexion", axum::routing::post(auth::logout))
        .route("/console/langue", get(auth::choose_language))
        .route("/console/flux", get(flow_view::page))
        .route(
            "/console/simulateur",
            get(simulator::page).post(simulator::send),
        )
        .route("/console/export", get(export::page))
        .route("/console/export.csv", get(export::download))
        .route("/console/static/console.css", get(style_sheet))
        .layer(middleware::from_fn(console_headers))
}

async fn style_sheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        page::STYLE_SHEET,
    )
        .into_response()
}

/// Every console answer: never cached (figures and codes), never framed, no script or
/// resource from elsewhere.
async fn console_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}
