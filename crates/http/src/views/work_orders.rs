//! Work orders, their lists and histories, as the API shows and takes them.
