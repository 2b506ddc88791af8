//! Calendars and the deadline policies, as the API shows and takes them.
