//! `churn`: customer-churn prediction from raw tables to a ranked at-risk list.
//!
//! The stages, in the order data flows through them (each imports only earlier ones):
//! [`data`] (ingest and validate) -> [`features`] (point-in-time features) -> [`labels`]
//! -> [`matrix`] (the design matrix) -> [`train`] (learners and calibrators) -> [`model`]
//! (out-of-time training, artifacts) -> [`score`] (the at-risk list) -> [`evaluate`]
//! (metrics against baselines) and [`report`] (HTML and SVG). [`kpis`] computes the
//! business's numbers from the raw tables. [`generate`] makes realistic data to run on;
//! [`schema`] holds the data contract's names; [`dates`], [`io`], [`metrics`] and [`rng`]
//! (a seeded PRNG whose streams never change with crate upgrades) are shared helpers.

pub mod data;
pub mod dates;
pub mod evaluate;
pub mod features;
pub mod generate;
pub mod io;
pub mod kpis;
pub mod labels;
pub mod matrix;
pub mod metrics;
pub mod model;
pub mod report;
pub mod rng;
pub mod schema;
pub mod score;
pub mod train;
