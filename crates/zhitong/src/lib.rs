//! The `zhitong` binary's library: configuration, start-up (shared by
//! production and the integration tests), the demo organisation and the
//! command line.

pub mod classify;
pub mod cli;
pub mod config;
pub mod demo;
pub mod demo_orders;
pub mod startup;
