//! The README's "From the shell" section against the real `cinnox` command: the install lines
//! are `--locked`, the PostgreSQL one names the `postgres` feature, and the command table has a
//! row for every command, names every option each command takes, and names none it lacks.
#![cfg(feature = "cli")]

use std::collections::BTreeSet;
use std::process::Command;

const EXE: &str = env!("CARGO_BIN_EXE_cinnox");

/// Options every command has, or that the text under the table explains once for all.
const EXPLAINED_ONCE: &[&str] = &["--help", "--verbose", "--app", "--base-url", "--token"];

fn readme() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    std::fs::read_to_string(path).expect("README.md")
}

/// The text of `## From the shell` up to the next `## ` heading.
fn shell_section(readme: &str) -> &str {
    let start = readme
        .find("\n## From the shell\n")
        .expect("a '## From the shell' section");
    let rest = &readme[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3);
    &rest[..end]
}

/// `cinnox ARGS --help`, as text.
fn help(args: &[&str]) -> String {
    let out = Command::new(EXE)
        .args(args)
        .arg("--help")
        .output()
        .expect("run cinnox");
    assert!(out.status.success(), "cinnox {args:?} --help failed");
    String::from_utf8(out.stdout).expect("help is UTF-8")
}

/// The subcommands a help page lists under `Commands:` (without `help`).
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| l.trim() != "Commands:")
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

/// Every `--long-option` named in `text`.
fn long_options(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(at) = text[i..].find("--") {
        let start = i + at;
        let mut end = start + 2;
        while end < bytes.len() && (bytes[end].is_ascii_lowercase() || bytes[end] == b'-') {
            end += 1;
        }
        let preceded_by_word = start > 0 && bytes[start - 1].is_ascii_alphanumeric();
        if end > start + 2 && !preceded_by_word {
            found.insert(text[start..end].trim_end_matches('-').to_owned());
        }
        i = end.max(start + 2);
    }
    found
}

/// The options section of a help page (the usage line and the examples name options too,
/// but only the section says which exist).
fn options_of(help: &str) -> BTreeSet<String> {
    let section: String = help
        .lines()
        .skip_while(|l| l.trim() != "Options:")
        .take_while(|l| !l.starts_with("Examples:"))
        .filter(|l| l.trim_start().starts_with('-'))
        .map(|l| l.split("  ").find(|p| !p.trim().is_empty()).unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    long_options(&section)
}

/// The table's rows whose command cell starts with `cinnox WORDS` (WORDS then a space, a
/// backquote or the end of the cell).
fn rows<'a>(section: &'a str, words: &str) -> Vec<&'a str> {
    let prefix = format!("| `cinnox {words}");
    section
        .lines()
        .filter(|l| {
            l.strip_prefix(&prefix)
                .is_some_and(|rest| rest.starts_with(' ') || rest.starts_with('`'))
        })
        .collect()
}

#[test]
fn the_install_lines_are_locked_and_the_postgres_one_names_its_feature() {
    let readme = readme();
    let section = shell_section(&readme);
    let installs: Vec<&str> = section
        .lines()
        .filter(|l| l.starts_with("cargo install"))
        .collect();
    assert!(!installs.is_empty(), "no cargo install line in:\n{section}");
    for line in &installs {
        assert!(line.contains("--locked"), "not --locked: {line}");
    }
    assert!(
        installs
            .iter()
            .any(|l| l.contains("--features cli,postgres")),
        "no install line with --features cli,postgres: {installs:?}"
    );
    // Nowhere else in the README either.
    for line in readme.lines().filter(|l| l.contains("cargo install ")) {
        assert!(line.contains("--locked"), "not --locked: {line}");
    }
}

#[test]
fn the_command_table_names_every_command_and_every_option_the_help_shows() {
    let readme = readme();
    let section = shell_section(&readme);
    let mut commands: Vec<Vec<String>> = Vec::new();
    for name in subcommands(&help(&[])) {
        let nested = subcommands(&help(&[&name]));
        if nested.is_empty() {
            commands.push(vec![name]);
        } else {
            commands.extend(nested.into_iter().map(|sub| vec![name.clone(), sub]));
        }
    }
    assert!(commands.len() >= 12, "too few commands found: {commands:?}");
    let mut problems = Vec::new();
    for command in &commands {
        let words = command.join(" ");
        let rows = rows(section, &words);
        if rows.is_empty() {
            problems.push(format!("no row for `cinnox {words}`"));
            continue;
        }
        let args: Vec<&str> = command.iter().map(String::as_str).collect();
        let options = options_of(&help(&args));
        let named = long_options(&rows.concat());
        for missing in options.difference(&named) {
            if !EXPLAINED_ONCE.contains(&missing.as_str()) {
                problems.push(format!(
                    "`cinnox {words}`: the table does not name {missing}"
                ));
            }
        }
        for unknown in named.difference(&options) {
            problems.push(format!(
                "`cinnox {words}`: the table names {unknown}, which its --help lacks"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The options explained once are explained.
    for option in ["--app", "--base-url", "--token", "-v", "-vv", "RUST_LOG"] {
        assert!(
            section.contains(option),
            "the section never mentions {option}"
        );
    }
}

#[test]
fn long_options_reads_what_a_reader_sees() {
    assert_eq!(
        long_options("`cinnox x --bind ADDR [--json] [--a-b \\| --exec CMD]` re--use"),
        ["--a-b", "--bind", "--exec", "--json"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    );
}
