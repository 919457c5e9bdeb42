//! Integration tests, built as one binary (one link instead of one per file).

mod bad_input;
mod evaluate;
mod features;
mod generator;
mod ingest;
mod kpis;
mod labels;
mod leakage;
mod report;
mod score;
mod support;
mod train;
