use crate::*;

fn parse(text: &str) -> Result<Vec<Node>, ParseError> {
    parse_documents(text, &Limits::default())
}

#[test]
fn nodes_carry_byte_offsets_lines_and_columns() {
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\n";
    let docs = parse(text).unwrap();
    assert_eq!(docs.len(), 1);
    let name = docs[0].at(&["metadata", "name"]).unwrap();
    assert_eq!(name.as_str(), Some("demo"));
    assert_eq!((name.span.line, name.span.column), (4, 9));
    assert_eq!(
        &text[name.span.offset..name.span.offset + name.span.len],
        "demo"
    );
    let (key, _) = docs[0].entry("kind").unwrap();
    assert_eq!(key.span.line, 2);
}

#[test]
fn quoted_numbers_stay_strings_and_plain_ones_are_numbers() {
    let docs = parse("a: \"3\"\nb: 3\nc: yes\nd: true\ne: 1.5\n").unwrap();
    assert_eq!(docs[0].get("a").unwrap().value, Value::String("3".into()));
    assert_eq!(docs[0].get("b").unwrap().value, Value::Int(3));
    assert_eq!(docs[0].get("c").unwrap().value, Value::String("yes".into()));
    assert_eq!(docs[0].get("d").unwrap().value, Value::Bool(true));
    assert_eq!(docs[0].get("e").unwrap().value, Value::Float(1.5));
}

#[test]
fn multi_document_streams_keep_each_document_and_its_lines() {
    let text = "a: 1\n---\nb: 2\n---\n# only a comment\n---\nc: 3\n";
    let docs = parse(text).unwrap();
    let lines: Vec<_> = docs
        .iter()
        .filter(|d| !d.is_null())
        .map(|d| d.as_map().unwrap()[0].0.span.line)
        .collect();
    assert_eq!(lines, vec![1, 3, 7]);
}

#[test]
fn syntax_errors_have_a_position() {
    let error = parse("a: 1\nb: [1, 2\nc: 3\n").unwrap_err();
    assert!(error.line.is_some(), "{error:?}");
}

#[test]
fn duplicate_keys_are_errors_as_in_kustomize() {
    let error = parse("a: 1\na: 2\n").unwrap_err();
    assert_eq!(error.line, Some(2), "{error:?}");
}

#[test]
fn alias_bombs_hit_the_budget_instead_of_memory() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let prev = i - 1;
        text.push_str(&format!(
            "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
        ));
    }
    // The budget stops it after 400,000 copied nodes, not the 10^12 it expands to: a
    // bound, not a benchmark (an unoptimised build on a busy machine is slow).
    let started = std::time::Instant::now();
    let error = parse(&text).unwrap_err();
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
    assert!(error.message.contains("limit"), "{error:?}");
}

#[test]
fn deep_nesting_hits_the_budget() {
    let text = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert!(parse(&text).is_err());
    let text: String = (0..5_000)
        .map(|i| format!("{}k:\n", " ".repeat(i)))
        .collect();
    assert!(parse(&text).is_err());
}

#[test]
fn binary_and_non_utf8_files_are_refused() {
    let dir = std::env::temp_dir().join(format!("guardrails-yaml-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let binary = dir.join("binary.yaml");
    std::fs::write(&binary, b"a: 1\n\0\x01").unwrap();
    assert!(matches!(
        read_text(&binary, &Limits::default()),
        Err(ReadError::Binary { offset: 5 })
    ));
    let latin1 = dir.join("latin1.yaml");
    std::fs::write(&latin1, b"a: caf\xe9\n").unwrap();
    assert!(matches!(
        read_text(&latin1, &Limits::default()),
        Err(ReadError::NotUtf8 { offset: 6 })
    ));
    let large = dir.join("large.yaml");
    std::fs::write(&large, vec![b'#'; 2048]).unwrap();
    let small = Limits {
        max_file_bytes: 1024,
        ..Limits::default()
    };
    assert!(matches!(
        read_text(&large, &small),
        Err(ReadError::TooLarge { .. })
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn deep_but_real_documents_parse() {
    // CRD schemas nest `properties` many levels deep; 100 levels must still parse.
    let text: String = (0..100)
        .map(|i| format!("{}k{i}:\n", "  ".repeat(i)))
        .collect();
    let text = format!("{text}{}leaf: 1\n", "  ".repeat(100));
    assert!(parse(&text).is_ok());
}

#[test]
fn many_aliases_of_one_anchor_parse() {
    // One anchor reused hundreds of times is ordinary (Go's yaml.v3 accepts it).
    let mut text = String::from("base: &b {cost: 1, unit: token}\nrules:\n");
    for i in 0..300 {
        text.push_str(&format!("  r{i}: *b\n"));
    }
    let docs = parse(&text).unwrap();
    assert_eq!(docs[0].get("rules").unwrap().as_map().unwrap().len(), 300);
}

#[test]
fn an_alias_key_ends_where_go_ends_it() {
    // go-yaml ends a name at `:`, so `*app:` is the alias `app` used as a key, as every
    // Flux controller reads it; positions stay those of the file.
    let text = "name: &app web\ncontrollers:\n  *app:\n    image: x\n  other: {*app: 1, b: 2}\n";
    let docs = parse(text).unwrap();
    let controllers = docs[0].get("controllers").unwrap();
    let web = controllers
        .get("web")
        .expect("the alias key resolves to `web`");
    let image = web.get("image").unwrap();
    assert_eq!((image.span.line, image.span.column), (4, 12));
    assert_eq!(
        &text[image.span.offset..image.span.offset + image.span.len],
        "x"
    );
    let b = controllers.at(&["other", "b"]).unwrap();
    assert_eq!(&text[b.span.offset..b.span.offset + b.span.len], "2");
    assert_eq!(b.span.column, 23);
    // A name that is unknown either way is still an error, at the file's position.
    let error = parse("a: *nothing:\n").unwrap_err();
    assert!(error.message.contains("anchor"), "{error:?}");
    assert_eq!(error.line, Some(1));
    // After an alias key on the same line, the column is the file's, in the message too.
    let error = parse("name: &app web\nmap:\n  *app: *missing\n").unwrap_err();
    assert_eq!((error.line, error.column), (Some(3), Some(9)), "{error:?}");
    assert!(!error.message.contains("column 10"), "{error:?}");
    let error = parse("name: &app web\ndata: {*app: x, q: *app2}\n").unwrap_err();
    assert_eq!((error.line, error.column), (Some(2), Some(20)), "{error:?}");
}

#[test]
fn parse_each_reads_every_text_on_one_thread_as_parse_documents_would() {
    let texts = ["a: 1\n", "a: [\n", "b: 2\n---\nc: 3\n"];
    let mut seen = Vec::new();
    parse_each(&texts, &Limits::default(), |i, parsed| {
        seen.push((i, parsed.map(|docs| docs.len()).map_err(|e| e.line)));
    })
    .unwrap();
    let one_by_one: Vec<_> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            (
                i,
                parse_documents(t, &Limits::default())
                    .map(|docs| docs.len())
                    .map_err(|e| e.line),
            )
        })
        .collect();
    assert_eq!(seen, one_by_one);
    assert_eq!(seen[2].1, Ok(2));
    assert!(seen[1].1.is_err());
}
