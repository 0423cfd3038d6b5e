//! Conversion from k8s-openapi objects into herd's model records: the one place API types stop.
