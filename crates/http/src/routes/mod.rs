pub mod admin;
pub mod auth;
pub mod calendar;
pub mod notifications;
pub mod org;
pub mod reports;
pub mod system;
pub mod work_orders;
