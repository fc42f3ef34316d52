//! The modules in layers: a module uses its own layer and those below, never one above, so the
//! model and the engines can be read, tested and reused without the front ends.

/// From the bottom: the model and plain helpers; the run's context; the engines; the two that
/// walk the steps; the front ends. `main.rs` sits on top and alone names `cli`.
const LAYERS: &[&[&str]] = &[
    &["session", "config", "input_file", "process_group", "format_registry", "mta_command"],
    &["context"],
    &["dns", "helo", "smtp", "auth", "queue", "logs", "bounce", "diagnosis", "demo"],
    &["check", "wizard"],
    &["tui", "cli"],
];

/// Modules of one layer that must not use each other: the wizard and `check` share the engines'
/// pipelines rather than each other, and the two front ends stay apart.
const APART: &[(&str, &str)] = &[("wizard", "check"), ("check", "wizard"), ("tui", "cli"), ("cli", "tui")];

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// The top-level modules a line of code names as `crate::NAME` (comments left out).
fn named(line: &str) -> Vec<&str> {
    let code = line.split("//").next().unwrap_or("");
    code.match_indices("crate::")
        .filter(|(at, _)| !code[..*at].ends_with(|c: char| c.is_alphanumeric() || c == '_'))
        .map(|(at, _)| {
            let rest = &code[at + "crate::".len()..];
            let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len());
            &rest[..end]
        })
        .collect()
}

/// The `.rs` files at or below `roots` (a root that does not exist is passed over).
fn rust_files(mut roots: Vec<std::path::PathBuf>) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    while let Some(path) = roots.pop() {
        if path.is_dir() {
            roots.extend(std::fs::read_dir(&path).expect("src is readable").map(|entry| entry.expect("entry").path()));
        } else if path.extension().is_some_and(|ext| ext == "rs") && path.is_file() {
            files.push(path);
        }
    }
    files
}

/// Every arrow that goes up or between modules kept apart, as `file: line`.
fn arrows_up(src: &std::path::Path) -> Vec<String> {
    let mut wrong = Vec::new();
    for path in rust_files(vec![src.to_path_buf()]) {
        let relative = path.strip_prefix(src).expect("below src");
        let module = relative.components().next().and_then(|c| c.as_os_str().to_str()).unwrap_or("");
        let module = module.strip_suffix(".rs").unwrap_or(module);
        if matches!(module, "lib" | "main" | "layers") {
            continue;
        }
        let own = layer(module).unwrap_or_else(|| panic!("{module} is in no layer: add it to LAYERS"));
        let text = std::fs::read_to_string(&path).expect("a source file");
        for line in text.lines() {
            for used in named(line) {
                let Some(theirs) = layer(used) else { continue };
                if used != module && (theirs > own || APART.contains(&(module, used))) {
                    wrong.push(format!("{}: {}", relative.display(), line.trim()));
                }
            }
        }
    }
    wrong.sort();
    wrong
}

/// Parts of the terminal front end that must not use its view (`tui::ui`): `update` and what it
/// reads sizes from ask no render function, so they work the same with no terminal.
const BLIND_TO_THE_VIEW: &[&str] = &["tui/app", "tui/layout"];

/// Whether a line of code names the view module (`tui::ui`, `super::ui`, `tui::{…, ui, …}`).
fn names_the_view(line: &str) -> bool {
    let code = line.split("//").next().unwrap_or("");
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let path = ["tui::ui", "super::ui"]
        .iter()
        .any(|pattern| code.match_indices(pattern).any(|(at, _)| !code[at + pattern.len()..].starts_with(is_ident)));
    let group = code.match_indices("tui::{").any(|(at, _)| {
        let inside = code[at + "tui::{".len()..].split('}').next().unwrap_or("");
        inside.split(|c: char| !is_ident(c)).any(|word| word == "ui")
    });
    path || group
}

/// Every line of the parts in [`BLIND_TO_THE_VIEW`] that names the view, as `file: line`.
fn view_used(src: &std::path::Path) -> Vec<String> {
    let mut wrong = Vec::new();
    let parts = BLIND_TO_THE_VIEW.iter().flat_map(|part| [src.join(part), src.join(format!("{part}.rs"))]);
    for path in rust_files(parts.collect()) {
        let text = std::fs::read_to_string(&path).expect("a source file");
        let relative = path.strip_prefix(src).expect("below src");
        wrong.extend(
            text.lines()
                .filter(|line| names_the_view(line))
                .map(|line| format!("{}: {}", relative.display(), line.trim())),
        );
    }
    wrong.sort();
    wrong
}

#[test]
fn update_asks_no_view_for_layout() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    assert!(src.join("tui/app").is_dir() && src.join("tui/layout").is_dir(), "the parts checked are where they were");
    let wrong = view_used(&src);
    assert!(wrong.is_empty(), "the view used by update:\n{}", wrong.join("\n"));
}

#[test]
fn a_use_of_the_view_is_seen() {
    assert!(names_the_view("let r = crate::tui::ui::app_regions(app);"));
    assert!(names_the_view("use super::super::ui;"));
    assert!(names_the_view("use crate::tui::{keys, ui};"));
    assert!(!names_the_view("use crate::tui::ui_kit; // crate::tui::ui"));
    assert!(!names_the_view("use crate::tui::{keys, layout};"));
    // The walk finds it in a file of the parts, and not elsewhere.
    let src = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(src.path().join("tui/app")).unwrap();
    std::fs::write(src.path().join("tui/app/keys.rs"), "fn f() {\n    super::super::ui::draw();\n}\n").unwrap();
    std::fs::write(src.path().join("tui/runtime.rs"), "use super::ui;\n").unwrap();
    assert_eq!(view_used(src.path()), ["tui/app/keys.rs: super::super::ui::draw();"]);
}

#[test]
fn no_module_uses_one_above_it() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let wrong = arrows_up(&src);
    assert!(wrong.is_empty(), "arrows up:\n{}", wrong.join("\n"));
}

#[test]
fn an_arrow_up_is_seen() {
    assert_eq!(named("use crate::cli::output::SCHEMA; // crate::tui"), ["cli"]);
    assert_eq!(named("let x = mycrate::session::y(crate::smtp::z);"), ["smtp"]);
    let (session, cli) = (layer("session").unwrap(), layer("cli").unwrap());
    assert!(cli > session);
}
