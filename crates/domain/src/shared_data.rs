//! Reference data of the project's `../shared` folder, for tests (never for the product: the domain does no
//! I/O). `ZHITONG_SHARED_DIR` points elsewhere. Absent in CI (`CI=true`) is a failure that says why; absent
//! elsewhere, the test says what it skipped.

pub fn read(relative: &str) -> Option<String> {
    let dir = std::env::var("ZHITONG_SHARED_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared").to_string());
    let path = format!("{dir}/{relative}");
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(e) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("CI: the shared reference data is required but {path} cannot be read ({e}); set ZHITONG_SHARED_DIR")
        }
        Err(_) => {
            eprintln!("SKIPPED: {path} is not on this machine (../shared); this test checked nothing");
            None
        }
    }
}
