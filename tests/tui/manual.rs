//! `mailwiz man` holds every key of the TUI's key tables, so the page cannot drift from them.

#[test]
fn the_man_page_names_every_key_the_tui_binds() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_mailwiz")).arg("man").output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let page = String::from_utf8(output.stdout).unwrap();
    // roff writes a hyphen as `\-`.
    let roff = |text: &str| text.replace('-', "\\-");
    let sections = mailwiz::tui::keys::manual();
    assert!(sections.len() > 3, "the global tables and the steps' own");
    for (title, rows) in &sections {
        assert!(page.contains(&roff(title)), "section {title} is missing");
        for (key, what) in rows {
            let row = format!("\\fB{}\\fR\n{}", roff(key), roff(what));
            assert!(page.contains(&row), "{title}: {key} ({what}) is missing");
        }
    }
}
