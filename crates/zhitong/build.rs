//! Decides, when the tests are built, what this machine cannot test, so that the test harness reports
//! those tests as *ignored* (with the reason) instead of passing them. In CI (`CI=true`) nothing is
//! ignored: a missing PostgreSQL, `../shared` or LibreOffice fails there, saying why.
use std::path::{Path, PathBuf};

fn main() {
    println!("cargo::rustc-check-cfg=cfg(zhitong_skip_postgres)");
    println!("cargo::rustc-check-cfg=cfg(zhitong_no_shared)");
    println!("cargo::rustc-check-cfg=cfg(zhitong_no_office)");
    println!("cargo::rerun-if-env-changed=CI");
    println!("cargo::rerun-if-env-changed=ZHITONG_TEST_POSTGRES");
    println!("cargo::rerun-if-env-changed=ZHITONG_SHARED_DIR");
    println!("cargo::rerun-if-changed=build.rs");
    let ci = std::env::var("CI").as_deref() == Ok("true");
    if !ci && std::env::var("ZHITONG_TEST_POSTGRES").as_deref() == Ok("skip") {
        println!("cargo::rustc-cfg=zhitong_skip_postgres");
    }
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let shared =
        std::env::var("ZHITONG_SHARED_DIR").map(PathBuf::from).unwrap_or_else(|_| manifest.join("../../../shared"));
    println!("cargo::rerun-if-changed={}", shared.join("data").display());
    if !ci && !shared.join("data").exists() {
        println!("cargo::rustc-cfg=zhitong_no_shared");
    }
    // The DOCX → PDF test needs LibreOffice (`soffice`) and poppler's `pdftotext` (scripts/office-up).
    let mut office = true;
    for tool in ["soffice", "pdftotext"] {
        match on_path(tool) {
            // Watched, so that removing or upgrading it reruns this script.
            Some(found) => println!("cargo::rerun-if-changed={}", found.display()),
            None => office = false,
        }
    }
    if !office {
        // Where Debian installs them: a change there (an install) reruns this script. Never a path that is
        // absent, which would rerun it (and rebuild this crate) on every build.
        for dir in ["/usr/bin", "/usr/local/bin"] {
            if Path::new(dir).is_dir() {
                println!("cargo::rerun-if-changed={dir}");
            }
        }
    }
    if !ci && !office {
        println!("cargo::rustc-cfg=zhitong_no_office");
    }
}

/// The executable `name` in a directory of `PATH`, like `command -v`.
fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?).map(|dir| dir.join(name)).find(|p| executable(p))
}

#[cfg(unix)]
fn executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn executable(p: &Path) -> bool {
    p.is_file()
}
