//! The book's tables are the declarations they describe: the property table, the fault kinds and
//! the planted-bug catalogue. A property, fault kind or bug added without its row (or a row left
//! behind) fails here.

fn page(name: &str) -> String {
    let path = format!("{}/docs/src/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The rows of the first table in `text` whose header starts with `header`, as trimmed cells.
fn table(text: &str, header: &str) -> Vec<Vec<String>> {
    text.lines()
        .skip_while(|l| !l.starts_with(header))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            let cells: Vec<&str> = l.trim().trim_matches('|').split('|').collect();
            cells.iter().map(|c| c.trim().to_string()).collect()
        })
        .collect()
}

/// The book's table of properties is the property table: same names, same kinds, same order.
#[test]
fn readme_lists_every_property_with_its_kind() {
    let rows: Vec<(String, String)> = table(&page("properties.md"), "| property | kind |")
        .into_iter()
        .map(|cells| (cells[0].trim_matches('`').to_string(), cells[1].clone()))
        .collect();
    let declared: Vec<(String, String)> = ftsim::PROPERTIES
        .iter()
        .map(|p| (p.name.to_string(), format!("{:?}", p.kind())))
        .collect();
    assert_eq!(
        rows, declared,
        "the property table in docs/src/properties.md"
    );
}

/// The book's table of fault kinds lists every kind with what its declaration says it does and
/// what undoes it, in declaration order.
#[test]
fn the_book_lists_every_fault_kind_as_declared() {
    let rows = table(&page("faults.md"), "| kind | what it does | inverse |");
    let declared: Vec<Vec<String>> = ftsim::fault::FaultKind::ALL
        .iter()
        .map(|k| {
            let info = k.info();
            vec![
                format!("`{}`", info.name),
                info.what.to_string(),
                info.inverse.to_string(),
            ]
        })
        .collect();
    assert_eq!(rows, declared, "the fault table in docs/src/faults.md");
}

/// The book's catalogue table is what `ftsim bugs --markdown` prints from the declarations.
#[test]
fn the_book_lists_every_bug_as_declared() {
    let text = page("catalogue.md");
    let start = text
        .find("| id | name | what went wrong |")
        .expect("docs/src/catalogue.md has the catalogue table");
    let book: String = text[start..]
        .lines()
        .take_while(|l| l.starts_with('|'))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(
        book,
        ftsim::Bug::markdown_table(),
        "docs/src/catalogue.md: print the table again with `ftsim bugs --markdown`"
    );
}
