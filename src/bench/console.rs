//! `ciu bench --console`: how fast the staff console's dashboard answers (BENCHMARKS.md,
//! "Staff console"): signs in like a browser, then asks for the dashboard over 30 and
//! 90 days, one request at a time, and reports latency percentiles and page sizes.

use anyhow::{bail, Context};
use std::time::{Duration, Instant};

/// One page measured.
pub struct PageTiming {
    pub path: String,
    pub bytes: usize,
    /// Sorted, fastest first.
    pub latencies: Vec<Duration>,
}

impl PageTiming {
    fn percentile(&self, p: f64) -> Duration {
        let last = self.latencies.len().saturating_sub(1);
        self.latencies[((last as f64) * p).round() as usize]
    }

    pub fn summary(&self) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        format!(
            "{}: {} requests, p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms, {} bytes",
            self.path,
            self.latencies.len(),
            ms(self.percentile(0.5)),
            ms(self.percentile(0.95)),
            ms(self.percentile(1.0)),
            self.bytes
        )
    }
}

/// Signs in at `base` (e.g. `http://127.0.0.1:8000`) and times `requests` GETs of each
/// dashboard period.
pub async fn time_dashboard(
    base: &str,
    password: &str,
    requests: usize,
) -> anyhow::Result<Vec<PageTiming>> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let session = sign_in(&client, base, password).await?;
    let mut timings = Vec::new();
    for path in ["/console?jours=30", "/console?jours=90"] {
        let mut latencies = Vec::with_capacity(requests);
        let mut bytes = 0;
        // One unmeasured request first: the database's caches as a working day has them.
        for round in 0..=requests {
            let started = Instant::now();
            let response = client
                .get(format!("{base}{path}"))
                .header("cookie", &session)
                .send()
                .await?;
            let status = response.status();
            let body = response.bytes().await?;
            let took = started.elapsed();
            if status != 200 {
                bail!("{path}: {status}");
            }
            bytes = body.len();
            if round > 0 {
                latencies.push(took);
            }
        }
        latencies.sort();
        timings.push(PageTiming {
            path: path.to_owned(),
            bytes,
            latencies,
        });
    }
    Ok(timings)
}

/// The session cookie (`name=value`) after signing in.
async fn sign_in(client: &reqwest::Client, base: &str, password: &str) -> anyhow::Result<String> {
    let page = client
        .get(format!("{base}/console/connexion"))
        .send()
        .await
        .context("the console does not answer (CONSOLE_PASSWORD or ADMIN_TOKEN set?)")?;
    let form_cookie =
        cookie_pair(&page, "ciu_console_connexion").context("no sign-in form cookie")?;
    let html = page.text().await?;
    let marker = "name=\"csrf\" value=\"";
    let start = html
        .find(marker)
        .context("no form token in the sign-in page")?
        + marker.len();
    let token = html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned();
    let signed_in = client
        .post(format!("{base}/console/connexion"))
        .header("cookie", form_cookie)
        .form(&[("password", password), ("csrf", token.as_str())])
        .send()
        .await?;
    if signed_in.status() != 303 {
        bail!("sign-in refused: {}", signed_in.status());
    }
    cookie_pair(&signed_in, "ciu_console").context("no session cookie")
}

fn cookie_pair(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|pair| pair.split('=').next() == Some(name))
        .map(str::to_owned)
}
