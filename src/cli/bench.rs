//! `ciu bench`: drives full conversations against a running server and prints
//! requests/s, latency percentiles and errors; the load tool itself is `ciu::bench`
//! (BENCHMARKS.md). With `--seed N` it fills the registry of `DATABASE_URL` with
//! synthetic registrations instead (`bench/scale.sh`). Its output is in English, like
//! the benchmark reports.

use std::process::ExitCode;
use std::sync::Arc;

use ciu::bench::{
    cpu_time, resident_memory, run_load, run_ussd_load, seed_registry, start_floor_server,
    LoadPlan, SeedPlan,
};
use ciu::config::SaltSettings;

use super::FlowFiles;

#[derive(clap::Args)]
pub struct BenchArgs {
    /// The webhook of the server under test.
    #[arg(long, default_value = "http://127.0.0.1:8000/whatsapp/webhook")]
    pub url: String,
    /// Full conversations to run (8 requests each).
    #[arg(long, default_value_t = 2000)]
    pub conversations: usize,
    /// Conversations in progress at the same time.
    #[arg(long, default_value_t = 50)]
    pub in_flight: usize,
    /// Digits after +243 shared by this run's phones (change it between runs on one
    /// database, or every conversation continues a finished one).
    #[arg(long, default_value = "9")]
    pub phone_prefix: String,
    /// First measure the floor: a bare handler that parses the form and returns a fixed
    /// TwiML, started in this process.
    #[arg(long)]
    pub floor: bool,
    /// Drive USSD sessions as Africa's Talking sends them (`--url …/ussd`) instead of
    /// Twilio messages.
    #[arg(long)]
    pub ussd: bool,
    /// Process id of the server, to report its CPU time and memory after the load.
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Instead of a load test: add this many synthetic registrations (codes, near keys,
    /// possible duplicates; 1 % are one-answer slips) to the database of DATABASE_URL,
    /// migrated first, with the salt of UIC_SALT or the development salt; and the
    /// staff console's daily counters of those 90 days (funnel, codes per channel).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Instead of a load test: time the staff console's dashboard (30 and 90 days) of
    /// the server at --url's address, signed in with this password.
    #[arg(long, value_name = "PASSWORD")]
    pub console: Option<String>,
    /// Dashboard requests per period with --console.
    #[arg(long, default_value_t = 50)]
    pub console_requests: usize,
    /// Registrations written per transaction by --seed.
    #[arg(long, default_value_t = 5000)]
    pub seed_batch: usize,
    #[command(flatten)]
    pub files: FlowFiles,
}

pub async fn run(args: BenchArgs) -> ExitCode {
    if let Some(records) = args.seed {
        return seed(records, args.seed_batch.max(1), &args.files).await;
    }
    if let Some(password) = &args.console {
        return console(&args.url, password, args.console_requests.max(1)).await;
    }
    let plan = LoadPlan {
        url: args.url,
        conversations: args.conversations,
        in_flight: args.in_flight,
        phone_prefix: args.phone_prefix,
    };
    println!(
        "{} conversations, {} in flight",
        plan.conversations, plan.in_flight
    );
    let mut floor_rate = None;
    if args.floor {
        let floor = match start_floor_server() {
            Ok(url) => {
                run_load(
                    &LoadPlan {
                        url,
                        ..plan.clone()
                    },
                    false,
                )
                .await
            }
            Err(e) => Err(e),
        };
        match floor {
            Ok(report) => {
                println!("{}", report.summary("floor"));
                floor_rate = Some(report.requests_per_second());
            }
            Err(e) => {
                eprintln!("floor: {e:#}");
                return ExitCode::FAILURE;
            }
        }
    }
    let cpu_before = args.server_pid.and_then(cpu_time);
    let load = if args.ussd {
        run_ussd_load(&plan).await
    } else {
        run_load(&plan, true).await
    };
    let report = match load {
        Ok(report) => report,
        Err(e) => {
            eprintln!("{e:#}");
            return ExitCode::FAILURE;
        }
    };
    println!("{}", report.summary("server"));
    if let Some(floor) = floor_rate {
        println!(
            "server / floor: {:.1}%",
            100.0 * report.requests_per_second() / floor
        );
    }
    if let Some(pid) = args.server_pid {
        if let (Some(before), Some(after)) = (cpu_before, cpu_time(pid)) {
            let used = after.saturating_sub(before);
            println!(
                "server CPU: {:.2} s, {:.0} µs per request",
                used.as_secs_f64(),
                used.as_secs_f64() * 1e6 / report.requests.max(1) as f64
            );
        }
        match resident_memory(pid) {
            Some((peak, now)) => println!("server memory: peak {peak}, now {now}"),
            None => eprintln!("cannot read /proc/{pid}/status"),
        }
    }
    for sample in &report.error_samples {
        eprintln!("error: {sample}");
    }
    if report.errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

async fn seed(records: u64, batch: usize, files: &FlowFiles) -> ExitCode {
    let flow = match ciu::flow::load(&files.flow, &files.locales) {
        Ok(loaded) => Arc::new(loaded.flow),
        Err(diagnostics) => {
            for d in &diagnostics {
                eprintln!("{d}");
            }
            return ExitCode::FAILURE;
        }
    };
    let salt = match SaltSettings::for_simulation_from_env() {
        Ok(salt) => salt.salt,
        Err(errors) => {
            super::report_config_errors(&errors);
            return ExitCode::FAILURE;
        }
    };
    let Some(store) = super::open_store().await else {
        return ExitCode::FAILURE;
    };
    let plan = SeedPlan {
        records,
        batch,
        slip_every: 100,
    };
    let mut printed = std::time::Duration::ZERO;
    let progress = |done: u64, elapsed: std::time::Duration| {
        if elapsed >= printed + std::time::Duration::from_secs(5) || done == records {
            printed = elapsed;
            println!(
                "seeded {done}/{records} records in {:.1} s ({:.0} records/s)",
                elapsed.as_secs_f64(),
                done as f64 / elapsed.as_secs_f64().max(1e-9)
            );
        }
    };
    match seed_registry(&store, flow, salt, &plan, progress).await {
        Ok(report) => {
            let o = report.outcome;
            println!(
                "{} records written ({} slips), {} already there, {} collisions, {} possible-duplicate pairs, in {:.1} s",
                o.inserted,
                report.slips,
                o.existing,
                o.collisions,
                o.pairs,
                report.elapsed.as_secs_f64()
            );
            println!(
                "{} rows of daily counters (the console's dashboard, 90 days)",
                report.counter_rows
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("seed: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `--console`: the dashboard's latency, at the address of `url`.
async fn console(url: &str, password: &str, requests: usize) -> ExitCode {
    let base = match url::Url::parse(url) {
        Ok(url) => url.origin().ascii_serialization(),
        Err(e) => {
            eprintln!("--url: {e}");
            return ExitCode::FAILURE;
        }
    };
    match ciu::bench::console::time_dashboard(&base, password, requests).await {
        Ok(timings) => {
            for timing in &timings {
                println!("{}", timing.summary());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("console: {e:#}");
            ExitCode::FAILURE
        }
    }
}
