//! One integration-test binary: the real application on a random port,
//! against a fresh database, on SQLite and on PostgreSQL alike.

mod helpers;
mod layers;

mod admin;
mod auth;
mod cli;
mod connectors;
mod deadlines;
mod demo;
mod durability;
mod duties;
mod figures;
mod handoffs;
mod office;
mod open311;
mod org;
mod reports;
mod scale;
mod schema;
mod search;
mod security;
mod sms;
mod system;
mod telephony;
mod transfers_12345;
mod upgrade;
mod web;
mod work_orders;
