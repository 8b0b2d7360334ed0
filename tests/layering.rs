//! The layering rules of DESIGN.md, checked over the source: which top-level module may import
//! which, no import cycle between them, and which crates (axum, sled, the sandbox) appear where.
//!
//! The graph is read from the code's own paths (`crate::name`), with comments and string
//! literals removed first, so a doc link or a URL in a string does not count as an import.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level module (file stem or directory under src/) → the top-level modules it names.
type Graph = BTreeMap<String, BTreeSet<String>>;

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("read {dir:?}: {e}")) {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The source with comments and the contents of string and char literals blanked out.
fn code_only(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == 'r' && (next == Some('"') || next == Some('#')) && !ident_before(&chars, i) {
            // A raw string: r"…", r#"…"#, with as many hashes closing as opening.
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            'raw: while j < chars.len() {
                if chars[j] == '"' && (1..=hashes).all(|k| chars.get(j + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break 'raw;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' && next == Some('\\') {
            // An escaped char literal such as '\'' or '\u{22}'.
            i += 2;
            while i < chars.len() && chars[i] != '\'' {
                i += 1;
            }
            i += 1;
        } else if c == '\'' && chars.get(i + 2) == Some(&'\'') {
            i += 3;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident_before(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
}

/// The top-level modules named after `crate::` in `code`, `use crate::{a, b::c}` included.
fn crate_paths(code: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before_ok = !rest[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_');
        rest = &rest[at + "crate::".len()..];
        if !before_ok {
            continue;
        }
        let trimmed = rest.trim_start();
        if let Some(group) = trimmed.strip_prefix('{') {
            let mut depth = 0;
            let mut item = String::new();
            let mut first_segment = true;
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        push_ident(&mut names, &item);
                        item.clear();
                        first_segment = true;
                    }
                    ':' if depth == 0 => first_segment = false,
                    _ if depth == 0 && first_segment => item.push(c),
                    _ => {}
                }
            }
            push_ident(&mut names, &item);
        } else {
            let ident: String = trimmed
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            push_ident(&mut names, &ident);
        }
    }
    names
}

fn push_ident(names: &mut BTreeSet<String>, raw: &str) {
    let ident = raw.trim();
    if !ident.is_empty() && ident != "self" {
        names.insert(ident.to_owned());
    }
}

/// The top-level module a file under `src/` belongs to (`None` for the crate roots).
fn top_module(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).expect("file under src");
    let first = relative.components().next()?.as_os_str().to_string_lossy();
    let name = first.trim_end_matches(".rs").to_owned();
    (name != "lib" && name != "main").then_some(name)
}

/// The library's module graph, and each file's code, read from src/.
fn library() -> (Graph, Vec<(PathBuf, String)>) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let modules = lib_modules();
    let mut graph = Graph::new();
    let mut files = Vec::new();
    for file in rust_files(&src) {
        let source = std::fs::read_to_string(&file).expect("source file");
        let code = code_only(&source);
        if let Some(from) = top_module(&src, &file) {
            let targets = graph.entry(from.clone()).or_default();
            // `crate::name` of a macro (`crate::html!`) or a root item is no module edge.
            for to in crate_paths(&code) {
                if to != from && modules.contains(&to) {
                    targets.insert(to);
                }
            }
        }
        files.push((file, code));
    }
    (graph, files)
}

/// The library's top-level modules, as declared in lib.rs.
fn lib_modules() -> BTreeSet<String> {
    let lib = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs");
    let code = code_only(&std::fs::read_to_string(lib).expect("lib.rs"));
    code.lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod "))
        .map(|l| l.trim_end_matches(';').trim().to_owned())
        .collect()
}

/// The cycles of the graph, as its strongly connected components of more than one module.
fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    // Tarjan's algorithm, iterative over the small graph's node names.
    struct State<'a> {
        graph: &'a Graph,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        let targets: Vec<&'a str> = s
            .graph
            .get(v)
            .map(|t| t.iter().map(String::as_str).collect())
            .unwrap_or_default();
        for w in targets {
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(lw);
            } else if s.stack.contains(&w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                component.push(w.to_owned());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.found.push(component);
            }
        }
    }
    let mut state = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !state.index.contains_key(v.as_str()) {
            visit(&mut state, v);
        }
    }
    state.found
}

#[test]
fn no_import_cycle_between_top_level_modules() {
    let (graph, _) = library();
    let found = cycles(&graph);
    assert!(
        found.is_empty(),
        "top-level modules import each other in a circle: {found:?}\nthe graph: {graph:#?}"
    );
}

/// `module` may name only the modules in `allowed` (and nothing else of the crate).
fn assert_imports_only(graph: &Graph, module: &str, allowed: &[&str]) {
    let imports = graph
        .get(module)
        .unwrap_or_else(|| panic!("no module {module} under src/"));
    let extra: Vec<&String> = imports
        .iter()
        .filter(|m| !allowed.contains(&m.as_str()))
        .collect();
    assert!(
        extra.is_empty(),
        "{module} may import only {allowed:?}, but imports {extra:?}"
    );
}

/// `module` never names any of `forbidden`.
fn assert_never_imports(graph: &Graph, module: &str, forbidden: &[&str]) {
    let imports = graph
        .get(module)
        .unwrap_or_else(|| panic!("no module {module} under src/"));
    let found: Vec<&String> = imports
        .iter()
        .filter(|m| forbidden.contains(&m.as_str()))
        .collect();
    assert!(found.is_empty(), "{module} must not import {found:?}");
}

#[test]
fn the_model_depends_on_nothing_and_the_store_only_on_the_model() {
    let (graph, _) = library();
    assert_imports_only(&graph, "model", &[]);
    assert_imports_only(&graph, "store", &["model", "clock"]);
}

#[test]
fn protocol_code_never_reaches_up_into_handlers_pipeline_or_web() {
    let (graph, _) = library();
    for module in ["hipchat", "dynaboard", "auth"] {
        assert_never_imports(
            &graph,
            module,
            &["handlers", "pipeline", "web", "views", "app"],
        );
    }
    assert_never_imports(&graph, "handlers", &["web", "pipeline", "app"]);
}

/// Files of the library whose code names `needle` outside the places in `allowed` (path
/// prefixes relative to the crate root).
fn files_naming(files: &[(PathBuf, String)], needle: &str, allowed: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    files
        .iter()
        .filter(|(_, code)| code.contains(needle))
        .map(|(path, _)| {
            path.strip_prefix(root)
                .expect("under the crate")
                .to_string_lossy()
                .into_owned()
        })
        .filter(|path| !allowed.iter().any(|a| path.starts_with(a)))
        .collect()
}

#[test]
fn axum_is_known_only_to_the_web_edge() {
    let (_, files) = library();
    let outside = files_naming(&files, "axum::", &["src/web/", "src/main.rs", "src/cli/"]);
    assert!(outside.is_empty(), "axum outside the web edge: {outside:?}");
}

#[test]
fn only_the_store_touches_a_storage_engine() {
    let (_, files) = library();
    for engine in ["sled::", "tokio_postgres::", "deadpool_postgres::"] {
        let outside = files_naming(&files, engine, &["src/store/"]);
        assert!(
            outside.is_empty(),
            "{engine} outside the store: {outside:?}"
        );
    }
}

#[test]
fn the_library_never_imports_the_sandbox() {
    let (_, files) = library();
    let outside = files_naming(&files, "hipboard_sandbox", &["src/main.rs", "src/cli/"]);
    assert!(
        outside.is_empty(),
        "the add-on imports the sandbox: {outside:?}"
    );
    let modules = lib_modules();
    assert!(
        !modules.contains("cli") && !modules.contains("sandbox"),
        "the library declares the CLI wiring or the sandbox: {modules:?}"
    );
}

#[test]
fn html_reaches_the_wire_only_through_the_html_type() {
    // Everything that marks a wire string as HTML is built in one module, from `Html`.
    let (_, files) = library();
    let allowed = [
        "src/hipchat/message.rs",
        "src/hipchat/wire",
        "src/hipchat/html.rs",
    ];
    for marker in [
        "MessageFormat::Html",
        "CardDescription::Formatted",
        "GlanceLabel {",
    ] {
        let outside = files_naming(&files, marker, &allowed);
        assert!(
            outside.is_empty(),
            "{marker} built outside hipchat/message.rs: {outside:?}"
        );
    }
}

#[test]
fn the_reader_sees_imports_and_not_comments_or_strings() {
    let code = code_only(
        "use crate::{a::X, b};\n// crate::c in a comment\nlet s = \"crate::d\";\n\
         let r = r#\"crate::e\"#; /* crate::f */ let q = '\"'; crate::g::h();",
    );
    let found: Vec<String> = crate_paths(&code).into_iter().collect();
    assert_eq!(found, ["a", "b", "g"]);
    let mut graph = Graph::new();
    graph.insert("x".into(), ["y".into()].into());
    graph.insert("y".into(), ["z".into()].into());
    graph.insert("z".into(), ["x".into()].into());
    assert_eq!(cycles(&graph), vec![vec!["x", "y", "z"]]);
    graph.get_mut("z").expect("z").clear();
    assert!(cycles(&graph).is_empty());
}
