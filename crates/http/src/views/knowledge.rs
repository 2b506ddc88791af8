//! The knowledge base, as the API shows and takes it.
