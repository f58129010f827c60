fn main() -> std::process::ExitCode {
    pglint::cli::main()
}
