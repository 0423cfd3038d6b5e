//! A message's bytes to the JSON the rest of the simulator holds, and back, driven by the
//! schema table. The JSON is what upstream's encoding/json would write for the same Go struct:
//! Time as RFC 3339, Quantity as its string, IntOrString as a number or a string, an embedded
//! `json:",inline"` struct's fields in its parent, byte fields in base64, raw extensions as the
//! JSON they hold. Unknown field numbers are skipped, as Go's generated code skips them.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use jiff::Timestamp;
use serde_json::{Map, Value, json};

use super::ProtobufError;
use super::schema::{self, Field, Message, Scalar, Special, Ty};
use super::wire::{Fields, Wire, put_key, put_len, put_varint, text};

/// Message `index`'s bytes as JSON.
pub fn decode(index: u16, bytes: &[u8]) -> Result<Value, ProtobufError> {
    let message = schema::message(index);
    Ok(match message.special {
        Special::None => {
            let mut object = Map::new();
            decode_into(message, bytes, &mut object)?;
            Value::Object(object)
        }
        special => decode_special(special, bytes)?.unwrap_or(Value::Null),
    })
}

/// The fields of one message into `object` (the parent's, for an inline struct).
fn decode_into(
    message: &Message,
    bytes: &[u8],
    object: &mut Map<String, Value>,
) -> Result<(), ProtobufError> {
    for field in Fields(bytes) {
        let (number, wire) = field?;
        let Some(f) = message.fields.iter().find(|f| f.tag == number) else {
            continue;
        };
        match (f.ty, wire) {
            (Ty::Message(inner), Wire::Len(b)) if f.json.is_empty() => {
                decode_into(schema::message(inner), b, object)?;
            }
            (Ty::StringMap | Ty::BytesMap | Ty::MessageMap(_), Wire::Len(entry)) => {
                let (key, value) = map_entry(f.ty, entry)?;
                let map = object
                    .entry(f.json)
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(map) = map {
                    map.insert(key, value);
                }
            }
            (Ty::Scalar(scalar @ (Scalar::Int32 | Scalar::Int64)), Wire::Len(packed))
                if f.repeated =>
            {
                let mut rest = packed;
                while !rest.is_empty() {
                    let n = super::wire::varint(&mut rest)?;
                    push(object, f, number_value(scalar, n));
                }
            }
            (ty, wire) if f.repeated => {
                let value = single(ty, wire)?.unwrap_or_else(|| empty_of(ty));
                push(object, f, value);
            }
            (ty, wire) => match single(ty, wire)? {
                Some(value) => {
                    object.insert(f.json.to_string(), value);
                }
                // Go's zero values that its JSON omits: an empty string, the zero Time.
                None => {
                    object.remove(f.json);
                }
            },
        }
    }
    Ok(())
}

fn push(object: &mut Map<String, Value>, f: &Field, value: Value) {
    let list = object
        .entry(f.json)
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(list) = list {
        list.push(value);
    }
}

/// What a repeated element that Go would omit reads as in a list (an empty string stays).
fn empty_of(ty: Ty) -> Value {
    match ty {
        Ty::Scalar(Scalar::String) => json!(""),
        _ => Value::Null,
    }
}

fn number_value(scalar: Scalar, n: u64) -> Value {
    match scalar {
        // Go sign-extends an int32 to ten bytes; the low 32 bits are the value.
        Scalar::Int32 => json!(n as i64 as i32),
        _ => json!(n as i64),
    }
}

/// One value, or None where Go's JSON would leave the field out.
fn single(ty: Ty, wire: Wire<'_>) -> Result<Option<Value>, ProtobufError> {
    let wrong = || ProtobufError::Malformed("a field's wire type does not match its type");
    Ok(match (ty, wire) {
        (Ty::Scalar(Scalar::String), Wire::Len(b)) => {
            let s = text(b)?;
            (!s.is_empty()).then(|| json!(s))
        }
        (Ty::Scalar(Scalar::Bytes), Wire::Len(b)) => Some(json!(BASE64.encode(b))),
        (Ty::Scalar(Scalar::Bool), Wire::Varint(n)) => Some(json!(n != 0)),
        (Ty::Scalar(s @ (Scalar::Int32 | Scalar::Int64)), Wire::Varint(n)) => {
            Some(number_value(s, n))
        }
        (Ty::Scalar(Scalar::Double), Wire::Fixed64(bits)) => Some(json!(f64::from_bits(bits))),
        (Ty::Message(inner), Wire::Len(b)) => match schema::message(inner).special {
            Special::None => Some(decode(inner, b)?),
            special => decode_special(special, b)?,
        },
        _ => return Err(wrong()),
    })
}

/// A map entry: key 1, value 2.
fn map_entry(ty: Ty, entry: &[u8]) -> Result<(String, Value), ProtobufError> {
    let mut key = String::new();
    let mut value = None;
    for f in Fields(entry) {
        match (f?, ty) {
            ((1, Wire::Len(k)), _) => key = text(k)?.to_string(),
            ((2, Wire::Len(v)), Ty::StringMap) => value = Some(json!(text(v)?)),
            ((2, Wire::Len(v)), Ty::BytesMap) => value = Some(json!(BASE64.encode(v))),
            ((2, Wire::Len(v)), Ty::MessageMap(inner)) => value = Some(decode(inner, v)?),
            _ => {}
        }
    }
    let empty = match ty {
        Ty::MessageMap(inner) => decode(inner, &[])?,
        _ => json!(""),
    };
    Ok((key, value.unwrap_or(empty)))
}

/// The JSON of a message that marshals itself.
fn decode_special(special: Special, bytes: &[u8]) -> Result<Option<Value>, ProtobufError> {
    let (mut n1, mut n2, mut s1, mut b1) = (0u64, 0u64, String::new(), None);
    let mut s3 = String::new();
    for f in Fields(bytes) {
        match f? {
            (1, Wire::Varint(n)) => n1 = n,
            (2, Wire::Varint(n)) => n2 = n,
            (1, Wire::Len(b)) => {
                b1 = Some(b);
                if special != Special::RawJson {
                    s1 = text(b)?.to_string();
                }
            }
            (3, Wire::Len(b)) => s3 = text(b)?.to_string(),
            _ => {}
        }
    }
    Ok(match special {
        Special::Time | Special::MicroTime => {
            let (seconds, nanos) = (n1 as i64, n2 as i64 as i32);
            if seconds == 0 && nanos == 0 {
                return Ok(None);
            }
            let at = Timestamp::new(seconds, nanos)
                .map_err(|_| ProtobufError::Malformed("a time out of range"))?;
            Some(json!(format_time(at, special == Special::MicroTime)))
        }
        Special::Duration => Some(json!(format_duration(n1 as i64))),
        Special::Quantity => Some(json!(s1)),
        Special::IntOrString if n1 == 1 => Some(json!(s3)),
        Special::IntOrString => Some(json!(n2 as i64 as i32)),
        Special::RawJson => match b1 {
            None | Some([]) => None,
            Some(raw) if raw.starts_with(super::MAGIC) => Some(super::envelope_to_json(raw)?),
            Some(raw) => Some(
                serde_json::from_slice(raw)
                    .map_err(|_| ProtobufError::Malformed("a raw extension is not JSON"))?,
            ),
        },
        Special::None => None,
    })
}

/// RFC 3339 in UTC, as metav1.Time (seconds) and metav1.MicroTime (microseconds) write it.
fn format_time(at: Timestamp, micro: bool) -> String {
    if micro {
        at.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
    } else {
        at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
    }
}

/// Go's time.Duration.String for whole units: `1h0m0s`, `30s`, `1.5s`, `500ms`, `0s`.
fn format_duration(nanos: i64) -> String {
    if nanos == 0 {
        return "0s".into();
    }
    let sign = if nanos < 0 { "-" } else { "" };
    let n = nanos.unsigned_abs();
    if n < 1_000_000_000 {
        let (unit, per) = match n {
            n if n < 1_000 => ("ns", 1),
            n if n < 1_000_000 => ("µs", 1_000),
            _ => ("ms", 1_000_000),
        };
        return format!("{sign}{}{unit}", decimal(n, per));
    }
    let (h, rest) = (n / 3_600_000_000_000, n % 3_600_000_000_000);
    let (m, s) = (rest / 60_000_000_000, rest % 60_000_000_000);
    let secs = format!("{}s", decimal(s, 1_000_000_000));
    match (h, m) {
        (0, 0) => format!("{sign}{secs}"),
        (0, m) => format!("{sign}{m}m{secs}"),
        (h, m) => format!("{sign}{h}h{m}m{secs}"),
    }
}

/// `n / per` with the fraction's trailing zeros dropped.
fn decimal(n: u64, per: u64) -> String {
    let (whole, frac) = (n / per, n % per);
    if frac == 0 {
        return whole.to_string();
    }
    let width = per.ilog10() as usize;
    let digits = format!("{frac:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

/// Go's time.ParseDuration, for the units it knows.
fn parse_duration(text: &str) -> Option<i64> {
    if text.is_empty() {
        return None;
    }
    let (negative, mut rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if rest == "0" {
        return Some(0);
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let split = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .filter(|&i| i > 0)?;
        let number: f64 = rest[..split].parse().ok()?;
        rest = &rest[split..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let per = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        total += number * per;
        rest = &rest[unit_len..];
    }
    let nanos = total.round() as i64;
    Some(if negative { -nanos } else { nanos })
}

/// Message `index` encoded from its JSON.
pub fn encode(index: u16, value: &Value) -> Result<Vec<u8>, ProtobufError> {
    let mut out = Vec::new();
    let message = schema::message(index);
    match message.special {
        Special::None => encode_object(message, value, &mut out)?,
        special => encode_special(special, value, &mut out)?,
    }
    Ok(out)
}

fn unencodable(what: &str, value: &Value) -> ProtobufError {
    ProtobufError::Unencodable(format!("{what} cannot hold {value}"))
}

fn encode_object(message: &Message, value: &Value, out: &mut Vec<u8>) -> Result<(), ProtobufError> {
    let object = value
        .as_object()
        .ok_or_else(|| unencodable(message.name, value))?;
    for f in message.fields {
        if f.json.is_empty() {
            if let Ty::Message(inner) = f.ty {
                put_len(out, f.tag, &encode(inner, value)?);
            }
            continue;
        }
        let Some(v) = object.get(f.json).filter(|v| !v.is_null()) else {
            continue;
        };
        match f.ty {
            Ty::StringMap | Ty::BytesMap | Ty::MessageMap(_) => {
                let map = v.as_object().ok_or_else(|| unencodable(f.json, v))?;
                for (key, item) in map {
                    let mut entry = Vec::new();
                    put_len(&mut entry, 1, key.as_bytes());
                    encode_single(f.ty, 2, item, &mut entry)?;
                    put_len(out, f.tag, &entry);
                }
            }
            ty if f.repeated => {
                let list = v.as_array().ok_or_else(|| unencodable(f.json, v))?;
                for item in list {
                    encode_single(ty, f.tag, item, out)?;
                }
            }
            ty => encode_single(ty, f.tag, v, out)?,
        }
    }
    Ok(())
}

/// One value as field `tag` (a map's value is field 2 of its entry).
fn encode_single(ty: Ty, tag: u32, v: &Value, out: &mut Vec<u8>) -> Result<(), ProtobufError> {
    match ty {
        Ty::Scalar(Scalar::String) | Ty::StringMap => {
            let s = v.as_str().ok_or_else(|| unencodable("a string", v))?;
            put_len(out, tag, s.as_bytes());
        }
        Ty::Scalar(Scalar::Bytes) | Ty::BytesMap => {
            let bytes = v
                .as_str()
                .and_then(|s| BASE64.decode(s).ok())
                .ok_or_else(|| unencodable("bytes", v))?;
            put_len(out, tag, &bytes);
        }
        Ty::Scalar(Scalar::Bool) => {
            let b = v.as_bool().ok_or_else(|| unencodable("a bool", v))?;
            put_key(out, tag, 0);
            put_varint(out, u64::from(b));
        }
        Ty::Scalar(Scalar::Int32 | Scalar::Int64) => {
            let n = v.as_i64().ok_or_else(|| unencodable("an integer", v))?;
            put_key(out, tag, 0);
            put_varint(out, n as u64);
        }
        Ty::Scalar(Scalar::Double) => {
            let n = v.as_f64().ok_or_else(|| unencodable("a number", v))?;
            put_key(out, tag, 1);
            out.extend_from_slice(&n.to_bits().to_le_bytes());
        }
        Ty::Message(inner) | Ty::MessageMap(inner) => put_len(out, tag, &encode(inner, v)?),
    }
    Ok(())
}

fn encode_special(special: Special, v: &Value, out: &mut Vec<u8>) -> Result<(), ProtobufError> {
    match special {
        Special::Time | Special::MicroTime => {
            let at: Timestamp = v
                .as_str()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| unencodable("a time", v))?;
            put_key(out, 1, 0);
            put_varint(out, at.as_second() as u64);
            put_key(out, 2, 0);
            put_varint(out, i64::from(at.subsec_nanosecond()) as u64);
        }
        Special::Duration => {
            let nanos = v
                .as_str()
                .and_then(parse_duration)
                .ok_or_else(|| unencodable("a duration", v))?;
            put_key(out, 1, 0);
            put_varint(out, nanos as u64);
        }
        Special::Quantity => {
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                other => return Err(unencodable("a quantity", other)),
            };
            put_len(out, 1, text.as_bytes());
        }
        Special::IntOrString => {
            // Go writes all three fields: type, intVal, strVal.
            let (kind, int, string) = match v {
                Value::Number(n) => (0, n.as_i64().unwrap_or(0), ""),
                Value::String(s) => (1, 0, s.as_str()),
                other => return Err(unencodable("an int-or-string", other)),
            };
            put_key(out, 1, 0);
            put_varint(out, kind);
            put_key(out, 2, 0);
            put_varint(out, int as u64);
            put_len(out, 3, string.as_bytes());
        }
        Special::RawJson => {
            let raw =
                serde_json::to_vec(v).map_err(|e| ProtobufError::Unencodable(e.to_string()))?;
            put_len(out, 1, &raw);
        }
        Special::None => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_and_write_as_go_does() {
        for (nanos, text) in [
            (0, "0s"),
            (30_000_000_000, "30s"),
            (90_000_000_000, "1m30s"),
            (3_600_000_000_000, "1h0m0s"),
            (1_500_000_000, "1.5s"),
            (500_000_000, "500ms"),
            (-2_000_000_000, "-2s"),
        ] {
            assert_eq!(format_duration(nanos), text);
            assert_eq!(parse_duration(text), Some(nanos), "{text}");
        }
        assert_eq!(parse_duration("5x"), None);
        assert_eq!(parse_duration(""), None);
    }
}
