//! Building and running the server. The same path serves production and tests (which
//! bind port 0). Start-up errors are for the deployer, in French; logs are in English.

use anyhow::Context;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

use crate::channels::meta::GraphClient;
use crate::channels::ReplySender;
use crate::config::{DatabaseSettings, Settings};
use crate::diagnostics::Diagnostic;
use crate::flow;
use crate::http::{router, AppState};
use crate::outbox::{OutboxWorker, RetryPolicy};
use crate::service::Bot;
use crate::store::{DerivationStatus, Store};

/// How often the console's daily counters counted in memory are written
/// (src/service/counters.rs).
const COUNTERS_WRITTEN_EVERY: Duration = Duration::from_secs(1);

/// The flow or catalogs have errors: the server must not start.
#[derive(Debug, thiserror::Error)]
#[error("le flux a {} erreur(s) ; lancez `ciu check`", .0.iter().filter(|d| d.is_error()).count())]
pub struct FlowErrors(pub Vec<Diagnostic>);

pub struct Application {
    listener: TcpListener,
    state: AppState,
    /// One worker per enabled channel whose replies go through an API (Meta).
    outboxes: Vec<OutboxWorker>,
}

/// Loads and checks the flow, applying the configured session timeout.
pub fn load_flow(settings: &Settings) -> Result<flow::Flow, FlowErrors> {
    let loaded = flow::load(&settings.flow_path, &settings.locales_dir).map_err(FlowErrors)?;
    for warning in &loaded.warnings {
        tracing::warn!("{warning}");
    }
    let mut flow = loaded.flow;
    if let Some(minutes) = settings.session_timeout_minutes {
        flow.session_timeout_minutes = minutes;
    }
    Ok(flow)
}

/// Connects to the database and applies the migrations.
pub async fn connect_store(database: &DatabaseSettings) -> anyhow::Result<Store> {
    let store = Store::connect(database.url.expose())
        .await
        .with_context(|| {
            format!(
                "impossible d'ouvrir la base de données {}",
                database.url_for_logs()
            )
        })?;
    store
        .migrate()
        .await
        .context("impossible d'appliquer les migrations de la base de données")?;
    Ok(store)
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let flow = load_flow(&settings)?;
        let store = connect_store(&settings.database()).await?;
        let bot = Bot::new(flow, settings.salt.clone(), store, settings.phone_storage);
        refuse_if_derivation_changed(&bot).await?;
        warn_if_qr_images_unreachable(&settings);
        warn_if_statistics_go_stale(&bot.store).await;
        let listener = TcpListener::bind(settings.listen_address())
            .await
            .with_context(|| format!("impossible d'écouter sur {}", settings.listen_address()))?;
        let bot = Arc::new(bot);
        let outboxes = reply_senders(&settings)?
            .into_iter()
            .map(|(sender, policy)| OutboxWorker::new(bot.clone(), sender, policy))
            .collect();
        let state = AppState::new(bot, Arc::new(settings));
        Ok(Application {
            listener,
            state,
            outboxes,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// Serves until SIGTERM or Ctrl-C.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `shutdown` completes; then the background workers (cleanup, outbox)
    /// stop too, so a stopped instance no longer claims queued work.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let mut workers = tokio::task::JoinSet::new();
        let state = self.state.clone();
        workers.spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                match state.bot.store.cleanup_expired(chrono::Utc::now()).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(sessions_cleaned = n, "expired sessions erased"),
                    Err(e) => tracing::warn!(error = %e, "session cleanup failed"),
                }
                if let Some(limiter) = &state.limiter {
                    limiter.retain_recent();
                }
                if let Some(console) = &state.console {
                    console.forget_quiet_addresses();
                }
            }
        });
        let counted = self.state.bot.clone();
        workers.spawn(async move {
            let mut tick = tokio::time::interval(COUNTERS_WRITTEN_EVERY);
            loop {
                tick.tick().await;
                if let Err(e) = counted.counters.flush(&counted.store).await {
                    tracing::warn!(error = %e, "console counters not written: kept for the next try");
                }
            }
        });
        for worker in self.outboxes {
            workers.spawn(worker.run());
        }
        tracing::info!(address = %self.listener.local_addr()?, "listening");
        // The peer's address: the console slows down sign-in tries per address.
        let bot = self.state.bot.clone();
        let app = router(self.state).into_make_service_with_connect_info::<std::net::SocketAddr>();
        let served = axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown)
            .await;
        workers.shutdown().await;
        if let Err(e) = bot.counters.flush(&bot.store).await {
            tracing::warn!(error = %e, "console counters of the last second not written");
        }
        served?;
        Ok(())
    }
}

/// The enabled channels whose replies are sent through an API, each with its sender
/// and retry policy (src/outbox.rs runs one worker per channel).
fn reply_senders(settings: &Settings) -> anyhow::Result<Vec<(Arc<dyn ReplySender>, RetryPolicy)>> {
    let mut senders: Vec<(Arc<dyn ReplySender>, RetryPolicy)> = Vec::new();
    if settings.channels.meta {
        let graph = GraphClient::new(&settings.meta)
            .context("impossible de préparer le client de la Graph API")?;
        if let Some(graph) = graph {
            senders.push((Arc::new(graph), RetryPolicy::new(settings.meta.retry_base)));
        }
    }
    Ok(senders)
}

/// Codes issued under another derivation (salt, steps, spelling rules, gazetteer,
/// extraction, template, hash) would not match the ones this configuration produces:
/// the same person would be counted twice. `serve` does not start until the deployer
/// confirms the change with `ciu derivation --accept`.
async fn refuse_if_derivation_changed(bot: &Bot) -> anyhow::Result<()> {
    let status = bot
        .store
        .derivation_status(&bot.flow.def.id, &bot.fingerprint)
        .await
        .context("impossible de lire les dérivations déjà utilisées")?;
    if let DerivationStatus::Changed { previous } = status {
        anyhow::bail!("{}", derivation_changed(&previous, &bot.fingerprint));
    }
    Ok(())
}

/// Said by `serve` (which then stops), `check` and `derivation` when the codes would
/// change: what happened, and the two ways out.
pub fn derivation_changed(previous: &str, current: &str) -> String {
    format!(
        "la façon de calculer les codes (sel, questions, règles d'orthographe, lieux, \
         extraction, modèle ou hachage) a changé depuis le dernier code enregistré \
         (empreinte {previous}, maintenant {current}) : une même personne recevrait \
         désormais un AUTRE code et serait comptée deux fois. Si ce n'est pas voulu, remettez \
         l'ancien dossier flows/ et l'ancien UIC_SALT. Si c'est voulu, confirmez-le avec \
         `ciu derivation --accept {current}` puis relancez."
    )
}

/// Without autovacuum PostgreSQL never analyzes the registry as it grows, and plans
/// the registration's near-key lookup as a scan of every near key (BENCHMARKS.md, "A
/// registry of 1,000,000 records on PostgreSQL").
async fn warn_if_statistics_go_stale(store: &Store) {
    if let Ok(Some(false)) = store.postgres_autovacuum().await {
        tracing::warn!(
            "autovacuum est désactivé sur ce serveur PostgreSQL : ses statistiques ne suivront \
             pas la croissance du registre, et chaque code donné finira par relire toute la \
             table uic_near_keys. Remettez autovacuum = on dans postgresql.conf (réglage par \
             défaut, guide section 5.1), ou lancez ANALYZE chaque nuit."
        );
    }
}

/// QR images are links the channel downloads: without a public address there is none.
fn warn_if_qr_images_unreachable(settings: &Settings) {
    if settings.enable_qr_code && settings.public_base_url.is_none() {
        tracing::warn!(
            "ENABLE_QR_CODE=true but PUBLIC_BASE_URL is not set: codes are sent as text only. \
             Set PUBLIC_BASE_URL (e.g. https://votre-domaine.cd) to send them as QR images too."
        );
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
