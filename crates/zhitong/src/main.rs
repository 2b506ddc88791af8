fn main() -> std::process::ExitCode {
    zhitong::cli::main()
}
