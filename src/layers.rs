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

/// Every arrow that goes up or between modules kept apart, as `file: line`.
fn arrows_up(src: &std::path::Path) -> Vec<String> {
    let mut wrong = Vec::new();
    let mut files = vec![src.to_path_buf()];
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).expect("src is readable").map(|entry| entry.expect("entry").path()));
            continue;
        }
        let relative = path.strip_prefix(src).expect("below src");
        let module = relative.components().next().and_then(|c| c.as_os_str().to_str()).unwrap_or("");
        let module = module.strip_suffix(".rs").unwrap_or(module);
        if path.extension().is_none_or(|ext| ext != "rs") || matches!(module, "lib" | "main" | "layers") {
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
