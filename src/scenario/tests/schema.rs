//! The JSON Schema (`docs/scenario.schema.json`): it lists exactly the model's fields,
//! every example validates against it, it rejects what the loader rejects, and
//! `ccsim schema` prints the file in the repository.

use super::*;

#[test]
fn the_schema_printed_is_the_schema_in_the_repository() {
    let on_disk = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/scenario.schema.json"
    ))
    .expect("docs/scenario.schema.json");
    assert_eq!(SCHEMA, on_disk);
}

/// A node tree as a JSON value (TOML date-times become their text, as the loader reads them).
fn to_json(node: &node::Node) -> serde_json::Value {
    use node::Value as V;
    match &node.value {
        V::Null => serde_json::Value::Null,
        V::Bool(b) => (*b).into(),
        V::Int(i) => (*i).into(),
        V::Float(f) => (*f).into(),
        V::Str(s) => s.clone().into(),
        V::Array(items) => items.iter().map(to_json).collect(),
        V::Table(entries) => entries
            .iter()
            .map(|(k, v)| (k.name.clone(), to_json(v)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
    }
}

fn schema() -> serde_json::Value {
    serde_json::from_str(SCHEMA).expect("the schema is JSON")
}

#[test]
fn the_schema_lists_exactly_the_fields_of_the_model() {
    let schema = schema();
    for (table, fields) in model::field_names() {
        let def = match table {
            "root" => &schema,
            "rates" => &schema["$defs"]["typeRates"],
            "mix" => &schema["$defs"]["typeWeights"],
            other => &schema["$defs"][other],
        };
        let mut in_schema: Vec<&str> = def["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("{table} has properties in the schema"))
            .keys()
            .map(String::as_str)
            .collect();
        in_schema.sort_unstable();
        let mut in_model = fields.to_vec();
        in_model.sort_unstable();
        assert_eq!(in_schema, in_model, "{table}");
        assert_eq!(
            def["additionalProperties"], false,
            "{table} denies unknown fields"
        );
    }
}

#[test]
fn every_example_validates_against_the_schema() {
    let validator = jsonschema::validator_for(&schema()).expect("a valid JSON Schema");
    for (name, text) in examples() {
        let syntax = Syntax::of_file_name(&name).expect("toml or json");
        let value = to_json(&node::parse(&text, syntax).expect("parses"));
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
    }
}

#[test]
fn the_schema_rejects_what_the_loader_rejects_for_editors() {
    let validator = jsonschema::validator_for(&schema()).expect("a valid JSON Schema");
    for bad in [
        r#"{"colour": "red"}"#,
        r#"{"workload": {"rates": {"queue": "5 per s"}}}"#,
        r#"{"workload": {"agent_answer": 1.5}}"#,
        r#"{"conversations": [{"type": "queue", "timeline": [{"do": "pickup"}]}]}"#,
        r#"{"conversations": [{"type": "queue", "id": "xyz", "timeline": [{"do": "enqueue"}]}]}"#,
        r#"{"agents": {"count": 0}}"#,
        r#"{"events": ["conversation", "agents"]}"#,
        r#"{"events": "conversation,"}"#,
        r#"{"events": []}"#,
        r#"{"conversations": [{"type": "queue", "reserve_state": "talking", "timeline": [{"do": "enqueue"}]}]}"#,
        r#"{"conversations": [{"type": "queue", "condition_id": "c1", "timeline": [{"do": "enqueue"}]}]}"#,
    ] {
        let value: serde_json::Value = serde_json::from_str(bad).expect("json");
        assert!(!validator.is_valid(&value), "{bad}");
        assert!(load("a.json", bad).is_err(), "{bad}");
    }
}
