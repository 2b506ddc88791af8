//! Notifications and contact details, as the API shows and takes them.
