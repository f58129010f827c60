fn main() -> std::process::ExitCode {
    pglint::cli::main()
}

// pglint allocates many small, short-lived values (YAML nodes, model strings) across threads;
// mimalloc handles that pattern markedly faster than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
