//! Archived reports and typical cases, as the API shows and takes them.
