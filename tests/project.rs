//! Project-level promises: the dependency tree stays free of OpenSSL and ring, the README's
//! two commands are the ones CI runs, and each layer depends on nothing above it.

use std::path::Path;
use std::process::Command;

fn repo_file(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `cargo tree -i CRATE` over every target platform; empty output means "not in the tree".
fn dependents_of(krate: &str) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args([
            "tree",
            "--offline",
            "--locked",
            "--edges",
            "normal,build",
            "-i",
            krate,
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() || stderr.contains("did not match any packages"),
        "cargo tree failed: {stderr}"
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn no_ring_and_no_openssl_in_the_dependency_tree() {
    for krate in ["ring", "openssl-sys", "native-tls"] {
        let tree = dependents_of(krate);
        assert!(tree.trim().is_empty(), "{krate} is in the tree:\n{tree}");
    }
    assert!(
        dependents_of("aws-lc-rs").contains("rustls"),
        "rustls should use the aws-lc-rs provider"
    );
}

#[test]
fn readme_shows_the_two_commands_and_ci_runs_exactly_the_test_command() {
    let readme = repo_file("README.md");
    assert!(readme.contains("cargo run --release -- --sandbox"));
    assert!(readme.contains("cargo test"));
    let ci = repo_file(".ci/run");
    let test_lines: Vec<&str> = ci
        .lines()
        .map(str::trim)
        .filter(|line| line.starts_with("cargo test"))
        .collect();
    assert_eq!(
        test_lines,
        ["cargo test"],
        "CI must run exactly the README's test command"
    );
}

/// Every `.rs` file under `dir`, depth first.
fn rust_files(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
}

/// The layers run one way: domain (`tracker`) <- client and gate (`security`) <- app and
/// commands. The domain names nothing from the layers above it and does no network I/O, so
/// it stays testable on its own and a cycle cannot creep back in.
#[test]
fn the_domain_imports_nothing_from_the_layers_above_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/tracker");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    assert!(files.len() > 5, "src/tracker should hold the domain");
    let forbidden = [
        "crate::security",
        "crate::config",
        "crate::pds",
        "crate::sandbox",
        "crate::app",
        "crate::ui",
        "crate::tui",
        "crate::cli",
        "reqwest",
        "tokio",
        "std::net",
    ];
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("source reads");
        for (number, line) in text.lines().enumerate() {
            for name in forbidden.iter().filter(|name| line.contains(*name)) {
                found.push(format!("{}:{}: {name}", file.display(), number + 1));
            }
        }
    }
    assert!(
        found.is_empty(),
        "the domain reaches up:\n{}",
        found.join("\n")
    );
}

/// The layers of ARCHITECTURE.md, lowest first; modules on one line are peers and do not
/// name each other.
const LAYERS: [&[&str]; 9] = [
    &["tracker"],
    &["files"],
    &["pds"],
    &["security"],
    &["config", "sandbox"],
    &["app"],
    &["ui"],
    &["tui"],
    &["cli"],
];

/// Source lines outside the unit tests at the end of a file (a test may drive the real peer
/// above it, as the PDS gate's tests drive the embedded sandbox).
fn product_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .take_while(|(_, line)| line.trim() != "#[cfg(test)]")
}

#[test]
fn no_layer_names_a_module_above_it_or_beside_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    for (level, modules) in LAYERS.iter().enumerate() {
        let not_below: Vec<String> = LAYERS[level..]
            .iter()
            .flat_map(|layer| layer.iter())
            .map(|name| format!("crate::{name}"))
            .collect();
        for module in *modules {
            let mut files = Vec::new();
            let dir = src.join(module);
            if dir.is_dir() {
                rust_files(&dir, &mut files);
            }
            let flat = src.join(format!("{module}.rs"));
            if flat.is_file() {
                files.push(flat);
            }
            assert!(!files.is_empty(), "src/{module} should exist");
            let own = format!("crate::{module}");
            for file in &files {
                let text = std::fs::read_to_string(file).expect("source reads");
                for (number, line) in product_lines(&text) {
                    for name in not_below.iter().filter(|name| **name != own) {
                        // `crate::ui` must not match `crate::uikit`, nor `crate::tracker` match
                        // `crate::tracker_x`.
                        let named = line.match_indices(name.as_str()).any(|(at, _)| {
                            !line[at + name.len()..]
                                .starts_with(|c: char| c.is_alphanumeric() || c == '_')
                        });
                        if named {
                            found.push(format!("{}:{}: {name}", file.display(), number + 1));
                        }
                    }
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "a layer reaches up or sideways:\n{}",
        found.join("\n")
    );
}
