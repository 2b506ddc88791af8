//! The layers' arrows (ARCHITECTURE.md): every crate's Cargo.toml names only the Zhitong crates its layer may
//! use. The domain uses none; connectors (the outside world's protocols) only the domain; nothing below the
//! binary uses the binary, and nothing uses the pages but the binary.

use std::collections::BTreeMap;

#[test]
fn every_arrow_points_down() {
    let allowed: BTreeMap<&str, &[&str]> = BTreeMap::from([
        ("domain", &[][..]),
        ("connectors", &["domain"][..]),
        ("storage", &["domain"][..]),
        ("search", &["domain", "storage"][..]),
        ("reports", &["domain", "storage"][..]),
        ("jobs", &["domain", "storage", "reports", "connectors"][..]),
        ("http", &["domain", "storage", "reports", "search", "connectors"][..]),
        ("web", &["domain", "storage", "reports", "search", "http"][..]),
        ("zhitong", &["domain", "storage", "reports", "search", "http", "web", "jobs", "connectors"][..]),
    ]);
    let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut seen = 0;
    for entry in std::fs::read_dir(&crates).unwrap() {
        let dir = entry.unwrap().path();
        let Ok(toml) = std::fs::read_to_string(dir.join("Cargo.toml")) else { continue };
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let may =
            allowed.get(name.as_str()).unwrap_or_else(|| panic!("crates/{name}: a crate with no layer in this test"));
        // Only [dependencies]: tests and benches may reach further up.
        let deps = toml.split("\n[").find(|s| s.starts_with("dependencies]")).unwrap_or("");
        for line in deps.lines() {
            if let Some(dep) = line.trim().strip_prefix("zhitong-") {
                let dep = dep.split(|c: char| !c.is_ascii_alphanumeric()).next().unwrap();
                assert!(may.contains(&dep), "crates/{name} depends on zhitong-{dep}: an arrow that points up");
            }
        }
        seen += 1;
    }
    assert_eq!(seen, allowed.len(), "every crate checked");
}
