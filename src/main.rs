//! The `churn` command: parses flags and dispatches to one handler per subcommand.
//! Exit codes: 0 success, 1 an error (bad input data, a failed write, ...), 2 bad usage.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
