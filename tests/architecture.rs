//! ARCHITECTURE.md is kept true: at most 200 lines, every `src/…` path it names exists, and
//! the code's imports between top-level modules are exactly what its layer table allows
//! (which also keeps the graph free of cycles, as each row may use only rows above it).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn architecture() -> String {
    std::fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md")
}

/// The backquoted words of `cell`, without a trailing `/`.
fn names(cell: &str) -> Vec<String> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .map(|n| n.trim_end_matches('/').to_owned())
        .collect()
}

/// The layer table: each module, in order, with what its row allows (`None`: everything).
fn layers(text: &str) -> Vec<(String, Option<BTreeSet<String>>)> {
    let mut out = Vec::new();
    let start = text
        .find("| module | job | may use |")
        .expect("the layer table");
    for line in text[start..].lines().skip(2) {
        if !line.starts_with('|') {
            break;
        }
        let cells: Vec<&str> = line.split('|').collect();
        let (modules, uses) = (cells[1], cells[3]);
        let allowed = (uses.trim() != "everything").then(|| names(uses).into_iter().collect());
        for m in names(modules) {
            if !m.starts_with("bin") {
                out.push((m, allowed.clone()));
            }
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
        let p = entry.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The top-level modules each top-level module's code names as `crate::x` (doc comments
/// and tests excepted: a doc link is not a dependency).
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_owned();
        if module == "lib" || module == "bin" || rel.ends_with("tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        let used = out.entry(module.clone()).or_default();
        for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
            let mut rest = line;
            while let Some(at) = rest.find("crate::") {
                rest = &rest[at + 7..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() && name != module && name.chars().all(|c| !c.is_uppercase()) {
                    used.insert(name);
                }
            }
        }
    }
    out
}

#[test]
fn it_is_short_and_names_only_paths_that_exist() {
    let text = architecture();
    assert!(
        text.lines().count() <= 200,
        "{} lines",
        text.lines().count()
    );
    for word in text.split('`').skip(1).step_by(2) {
        let path = word.split_whitespace().next().unwrap_or("");
        if path.starts_with("src/") && !path.contains('<') {
            assert!(
                root().join(path).exists(),
                "ARCHITECTURE.md names {path}, which is gone"
            );
        }
    }
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(
        readme.contains("(ARCHITECTURE.md)"),
        "the README does not link it"
    );
}

#[test]
fn every_module_uses_only_what_its_layer_allows() {
    let table = layers(&architecture());
    let known: BTreeSet<&str> = table.iter().map(|(m, _)| m.as_str()).collect();
    let mut problems = Vec::new();
    for (module, used) in imports() {
        let Some(pos) = table.iter().position(|(m, _)| *m == module) else {
            problems.push(format!("`{module}` has no row in the layer table"));
            continue;
        };
        let Some(allowed) = &table[pos].1 else {
            continue;
        };
        let above: BTreeSet<&str> = table[..pos].iter().map(|(m, _)| m.as_str()).collect();
        for u in used.iter().filter(|u| known.contains(u.as_str())) {
            if !allowed.contains(u) {
                problems.push(format!(
                    "`{module}` uses `{u}`, which its row does not allow"
                ));
            } else if !above.contains(u.as_str()) {
                problems.push(format!("`{module}` uses `{u}`, which is not below it"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_library_logs_name_no_command_of_the_cli() {
    let src = root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    for f in files.iter().filter(|f| !f.starts_with(src.join("bin"))) {
        let text = std::fs::read_to_string(f).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = !line.trim_start().starts_with("//");
            if code && line.contains("`cinnox ") {
                panic!(
                    "{}:{}: a library string names a command: {line}",
                    f.display(),
                    n + 1
                );
            }
        }
    }
}

/// Lines of a file that are not its unit tests: everything before `#[cfg(test)] mod tests`.
fn code_lines(text: &str) -> usize {
    let code = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    code.lines().count()
}

#[test]
fn no_source_file_is_much_over_600_lines_of_code() {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let mut long: Vec<String> = files
        .iter()
        .filter(|f| !f.ends_with("tests.rs"))
        .filter_map(|f| {
            let n = code_lines(&std::fs::read_to_string(f).unwrap());
            (n > 600).then(|| format!("{} ({n} lines)", f.display()))
        })
        .collect();
    long.sort();
    assert!(long.is_empty(), "split these by job: {long:?}");
}

/// `name` of `pub … fn name(` or `pub struct name` in `line`, when it starts with `cinnox_`.
fn c_item(line: &str, keyword: &str) -> Option<String> {
    let rest = &line[line.find(keyword)? + keyword.len()..];
    let name: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    name.starts_with("cinnox_").then_some(name)
}

/// rustls-ffi's rule: a C function whose name starts with an object's name (an opaque
/// `cinnox_…` struct) is that object's method and lives in that object's file
/// (`src/ffi/<object>.rs`, or `src/ffi/<object>/`), so the C files never drift from their
/// objects again.
#[test]
fn every_c_function_lives_in_the_file_of_the_object_its_name_starts_with() {
    let mut files = Vec::new();
    rust_files(&root().join("src/ffi"), &mut files);
    let mut objects = BTreeSet::new();
    let mut functions = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("source");
        for line in text.lines() {
            let t = line.trim_start();
            if t.starts_with("pub struct ") {
                objects.extend(c_item(t, "pub struct "));
            }
            if t.starts_with("pub ") && t.contains("extern \"C\" fn ") {
                if let Some(f) = c_item(t, "extern \"C\" fn ") {
                    functions.push((f, file.clone()));
                }
            }
        }
    }
    assert!(
        functions.len() > 100,
        "found the C functions: {}",
        functions.len()
    );
    let mut misplaced = Vec::new();
    for (f, file) in &functions {
        let Some(object) = objects
            .iter()
            .filter(|o| f.starts_with(&format!("{o}_")))
            .max_by_key(|o| o.len())
        else {
            continue;
        };
        let stem = object.trim_start_matches("cinnox_");
        let ffi = root().join("src/ffi");
        let home = [ffi.join(format!("{stem}.rs")), ffi.join(stem)];
        if !home.iter().any(|h| file.starts_with(h)) {
            misplaced.push(format!(
                "{f} (a method of {object}) is in {}, not src/ffi/{stem}.rs",
                file.strip_prefix(root()).unwrap_or(file).display()
            ));
        }
    }
    assert!(misplaced.is_empty(), "{}", misplaced.join("\n"));
}
