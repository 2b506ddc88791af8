//! Decides, when the tests are built, what this machine cannot test, so that the test harness reports
//! those tests as *ignored* (with the reason) instead of passing them. In CI (`CI=true`) nothing is
//! ignored: a missing PostgreSQL or `../shared` fails there, saying why.
use std::path::PathBuf;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(zhitong_skip_postgres)");
    println!("cargo::rustc-check-cfg=cfg(zhitong_no_shared)");
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
}
