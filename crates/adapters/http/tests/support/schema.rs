//! A JSON Schema check as far as the OpenAPI documents use the language, for tests that hold
//! an answer against its document.

use serde_json::Value;

/// Checks `value` against `schema` as far as the documents use JSON Schema: `$ref`, `oneOf`,
/// `type` (one or a list), `properties` with `required` and `additionalProperties: false`,
/// `items`, `enum`. Returns where it first differs.
pub(crate) fn conforms(
    value: &Value,
    schema: &Value,
    document: &Value,
    at: &str,
) -> Result<(), String> {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().expect("a name");
        return conforms(
            value,
            &document["components"]["schemas"][name],
            document,
            at,
        );
    }
    if let Some(branches) = schema["oneOf"].as_array() {
        return branches
            .iter()
            .find(|branch| conforms(value, branch, document, at).is_ok())
            .map(|_| ())
            .ok_or_else(|| format!("{at}: {value} matches no branch of {schema}"));
    }
    let type_matches = |name: &str| match name {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_u64() || value.is_i64(),
        "number" => value.is_number(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => false,
    };
    let types: Vec<&str> = match &schema["type"] {
        Value::String(name) => vec![name.as_str()],
        Value::Array(names) => names.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !types.is_empty() && !types.iter().any(|name| type_matches(name)) {
        return Err(format!("{at}: {value} is not {types:?}"));
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(value)
    {
        return Err(format!("{at}: {value} is not one of the enum"));
    }
    if let (Some(object), Some(properties)) = (value.as_object(), schema["properties"].as_object())
    {
        for (key, field) in object {
            match properties.get(key) {
                Some(property) => conforms(field, property, document, &format!("{at}.{key}"))?,
                None if schema["additionalProperties"] == false => {
                    return Err(format!("{at}: `{key}` is not in the document"));
                }
                None => {}
            }
        }
        for required in schema["required"].as_array().into_iter().flatten() {
            let name = required.as_str().expect("a name");
            if !object.contains_key(name) {
                return Err(format!("{at}: required `{name}` is missing"));
            }
        }
    }
    if let (Some(items), Some(schema)) = (value.as_array(), schema.get("items")) {
        for (index, item) in items.iter().enumerate() {
            conforms(item, schema, document, &format!("{at}[{index}]"))?;
        }
    }
    Ok(())
}
