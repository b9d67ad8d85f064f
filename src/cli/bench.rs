//! `ciu bench`: drives full conversations against a running server and prints
//! requests/s, latency percentiles and errors; the load tool itself is `ciu::bench`
//! (BENCHMARKS.md). Its output is in English, like the benchmark reports.

use std::process::ExitCode;

use ciu::bench::{cpu_time, resident_memory, run_load, start_floor_server, LoadPlan};

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
    /// Process id of the server, to report its CPU time and memory after the load.
    #[arg(long)]
    pub server_pid: Option<u32>,
}

pub async fn run(args: BenchArgs) -> ExitCode {
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
    let report = match run_load(&plan, true).await {
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
