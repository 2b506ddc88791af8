//! Enterprises, as the API shows and takes them.
