//! The documentation's table of properties is the property table.

/// Where the documentation keeps its table of properties, and the text holding it: the book's
/// page on the properties when the book has one, else README's section on the invariants (which
/// has other tables further on).
fn documented_properties() -> (&'static str, String) {
    let root = env!("CARGO_MANIFEST_DIR");
    if let Ok(page) = std::fs::read_to_string(format!("{root}/docs/src/properties.md")) {
        return ("docs/src/properties.md", page);
    }
    let readme = std::fs::read_to_string(format!("{root}/README.md")).expect("README.md");
    let section = readme
        .split("## The invariants")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("README has a section on the invariants");
    ("README.md's section on the invariants", section.to_string())
}

/// The documentation's table of properties is the property table: same names, same kinds, same
/// order.
#[test]
fn readme_lists_every_property_with_its_kind() {
    let (source, text) = documented_properties();
    // The first table whose header starts with property and kind.
    let rows: Vec<(String, String)> = text
        .lines()
        .skip_while(|l| !l.starts_with("| property | kind |"))
        .take_while(|l| l.starts_with('|'))
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (cells[1].trim_matches('`').to_string(), cells[2].to_string())
        })
        .collect();
    let table: Vec<(String, String)> = ftsim::PROPERTIES
        .iter()
        .map(|p| (p.name.to_string(), format!("{:?}", p.kind())))
        .collect();
    assert_eq!(rows, table, "the property table in {source}");
}
