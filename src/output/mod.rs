//! Results written to disk with their provenance.
