//! Label and field selectors in kubectl's grammar: parsing, printing and matching.
