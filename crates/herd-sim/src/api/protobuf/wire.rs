//! The protobuf wire format, both ways: fields read one at a time from a message's bytes, and
//! varints, keys and length-delimited fields written.

use super::ProtobufError;

/// One field's value by wire type.
#[derive(Debug, Clone, Copy)]
pub enum Wire<'a> {
    Varint(u64),
    Fixed64(u64),
    Len(&'a [u8]),
    /// No message read here has a 32-bit fixed field; its value is skipped.
    Fixed32,
}

/// The fields of one message, in order: `(number, value)`.
pub struct Fields<'a>(pub &'a [u8]);

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(u32, Wire<'a>), ProtobufError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.0.is_empty() {
            return None;
        }
        let next = self.field();
        if next.is_err() {
            // Nothing more can be read after a malformed field.
            self.0 = &[];
        }
        Some(next)
    }
}

impl<'a> Fields<'a> {
    fn field(&mut self) -> Result<(u32, Wire<'a>), ProtobufError> {
        let key = varint(&mut self.0)?;
        let value = match key & 7 {
            0 => Wire::Varint(varint(&mut self.0)?),
            1 => Wire::Fixed64(u64::from_le_bytes(self.take::<8>()?)),
            2 => {
                let len = usize::try_from(varint(&mut self.0)?)
                    .map_err(|_| ProtobufError::Malformed("a length too large"))?;
                if len > self.0.len() {
                    return Err(ProtobufError::Malformed("a length past the end"));
                }
                let (value, rest) = self.0.split_at(len);
                self.0 = rest;
                Wire::Len(value)
            }
            5 => {
                self.take::<4>()?;
                Wire::Fixed32
            }
            _ => return Err(ProtobufError::Malformed("an unknown wire type")),
        };
        let number = u32::try_from(key >> 3)
            .map_err(|_| ProtobufError::Malformed("a field number too large"))?;
        Ok((number, value))
    }

    fn take<const N: usize>(&mut self) -> Result<[u8; N], ProtobufError> {
        let (head, rest) = self
            .0
            .split_first_chunk::<N>()
            .ok_or(ProtobufError::Malformed("a fixed-width value past the end"))?;
        self.0 = rest;
        Ok(*head)
    }
}

pub fn varint(bytes: &mut &[u8]) -> Result<u64, ProtobufError> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = bytes
            .split_first()
            .ok_or(ProtobufError::Malformed("a varint past the end"))?;
        *bytes = rest;
        value |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(ProtobufError::Malformed("a varint over ten bytes"))
}

pub fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

pub fn put_key(out: &mut Vec<u8>, number: u32, wire_type: u8) {
    put_varint(out, (u64::from(number) << 3) | u64::from(wire_type));
}

/// A length-delimited field: a string, bytes or an embedded message.
pub fn put_len(out: &mut Vec<u8>, number: u32, bytes: &[u8]) {
    put_key(out, number, 2);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// The text of a string field.
pub fn text(bytes: &[u8]) -> Result<&str, ProtobufError> {
    std::str::from_utf8(bytes).map_err(|_| ProtobufError::Malformed("a string is not UTF-8"))
}
