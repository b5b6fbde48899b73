//! Bytes → `Config::parse`: never panics; every problem is located at line ≥ 1, col ≥ 1
//! inside the text.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/checks/mod.rs"]
mod checks;

fuzz_target!(|data: &[u8]| {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        // libFuzzer aborts on every panic, even a caught one. `Config::parse` catches the one
        // known panic of toml_edit's error recovery (see src/config.rs) and reports the file
        // as invalid; every other panic still aborts and counts as a crash.
        let abort = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let file = info.location().map(|l| l.file()).unwrap_or("");
            let known =
                file.contains("toml_edit") && info.payload_as_str() == Some("all items have spans");
            if !known {
                abort(info);
            }
        }));
    });
    // The file is read as UTF-8 (`read_to_string`): other bytes never reach the parser.
    if let Ok(text) = std::str::from_utf8(data)
        && let Err(e) = checks::check_config(text)
    {
        panic!("{e}");
    }
});
